import * as assert from 'node:assert/strict';
import type { Skip } from '../../src/core/sources/types';
import { applyWal, columnNames, SqliteReader } from '../../src/core/sources/opencode/sqliteReader';
import { agentsEngine } from './helpers/agents';
import { Scratch } from './helpers/fixtures';
import {
  OPENCODE_DATA,
  REAL_WAL_FIXTURE,
  opencodeAssistant,
  opencodeDatabase,
  opencodeSession,
  opencodeStepFinish,
  opencodeUser,
  walBetween,
  writeOpencodeStorage,
} from './helpers/opencodeFixtures';

const T = Date.parse('2025-11-20T10:00:00Z');
const SES = 'ses_7f3a9c2e1ffeAbCdEf';

/** One assistant message of two steps (a tool call, then the answer), as OpenCode writes it. */
function twoStepMessage(id = 'msg_a1') {
  const step1 = { input: 12, output: 40, cache: { read: 0, write: 18000 } };
  const step2 = { input: 3, output: 250, cache: { read: 18000, write: 600 } };
  return {
    // The message's own `tokens` is the last step's only (processor: `tokens = usage.tokens`).
    message: opencodeAssistant({ id, sessionID: SES, created: T, tokens: step2, cwd: '/work/repo' }),
    parts: [opencodeStepFinish({ id: `prt_${id}_1`, sessionID: SES, messageID: id, tokens: step1 }), opencodeStepFinish({ id: `prt_${id}_2`, sessionID: SES, messageID: id, tokens: step2 })],
  };
}

describe('OpenCode source', () => {
  let scratch: Scratch;
  beforeEach(() => (scratch = new Scratch()));
  afterEach(() => scratch.dispose());

  it('JSON storage: every step-finish part is one call, not the message total (the last step only)', () => {
    const { message, parts } = twoStepMessage();
    writeOpencodeStorage(scratch, { sessions: [opencodeSession({ id: SES, directory: '/work/repo' })], messages: [opencodeUser({ id: 'msg_u1', sessionID: SES, created: T - 1 }), message], parts });
    const engine = agentsEngine(scratch, { agents: ['opencode'] });
    engine.start();
    const [s] = engine.ledger.summaries();
    assert.deepEqual([s.agent, s.sessionId, s.cwd], ['opencode', SES, '/work/repo']);
    assert.deepEqual([s.inputTokens, s.outputTokens, s.cacheWrite5mTokens, s.cacheReadTokens, s.requests], [15, 290, 18600, 18000, 2]);
    assert.ok(s.costUSD !== null && s.costUSD > 0, 'providerID anthropic: Anthropic list prices');
  });

  it('JSON storage: a message without step-finish parts (oldest versions) counts its own tokens', () => {
    writeOpencodeStorage(scratch, {
      sessions: [opencodeSession({ id: SES, directory: '/work/repo' })],
      messages: [opencodeAssistant({ id: 'msg_old', sessionID: SES, created: T, tokens: { input: 100, output: 20, cache: { read: 50, write: 0 } } })],
    });
    const engine = agentsEngine(scratch, { agents: ['opencode'] });
    engine.start();
    const [s] = engine.ledger.summaries();
    assert.deepEqual([s.inputTokens, s.outputTokens, s.cacheReadTokens, s.requests], [100, 20, 50, 1]);
  });

  it('reasoning is added to output unless the recorded total shows it is already inside', () => {
    const msg = (id: string, created: number, tokens: Parameters<typeof opencodeAssistant>[0]['tokens']) => opencodeAssistant({ id, sessionID: SES, created, modelID: 'gpt-5', providerID: 'openai', tokens });
    writeOpencodeStorage(scratch, {
      sessions: [opencodeSession({ id: SES, directory: '/work/repo' })],
      messages: [
        // AI SDK 6: output excludes reasoning, total = input + output + reasoning + cache.
        msg('msg_1', T, { input: 100, output: 10, reasoning: 30, total: 140 }),
        // Before: output was OpenAI's completion_tokens, reasoning inside it; total = input + output.
        msg('msg_2', T + 1, { input: 100, output: 40, reasoning: 30, total: 140 }),
        // No total recorded: taken as outside.
        msg('msg_3', T + 2, { input: 100, output: 10, reasoning: 30 }),
      ],
    });
    const engine = agentsEngine(scratch, { agents: ['opencode'] });
    engine.start();
    const [s] = engine.ledger.summaries();
    assert.deepEqual([s.outputTokens, s.reasoningOutputTokens], [40 + 40 + 40, 90]);
  });

  it("a subagent session's usage belongs to its root session; gateways are unpriced", () => {
    const child = 'ses_child';
    writeOpencodeStorage(scratch, {
      sessions: [opencodeSession({ id: SES, directory: '/work/repo' }), opencodeSession({ id: child, directory: '/work/repo', parentID: SES })],
      messages: [opencodeAssistant({ id: 'msg_c1', sessionID: child, created: T, providerID: 'openrouter', modelID: 'anthropic/claude-sonnet-4.5', tokens: { input: 10, output: 5 } })],
    });
    const engine = agentsEngine(scratch, { agents: ['opencode'] });
    engine.start();
    const [s] = engine.ledger.summaries();
    assert.equal(s.sessionId, SES);
    assert.equal(s.costUSD, null, 'openrouter bills its own prices: unpriced, never guessed');
  });

  it('the database and the JSON storage it was migrated from count each call once', async () => {
    const { message, parts } = twoStepMessage();
    const session = opencodeSession({ id: SES, directory: '/work/repo' });
    writeOpencodeStorage(scratch, { sessions: [session], messages: [message], parts });
    // The database holds the migrated copy plus a newer message with a long (overflowing) row.
    const later = opencodeAssistant({ id: 'msg_b2', sessionID: SES, created: T + 60_000, tokens: { input: 7, output: 9 } });
    const big = { ...later, structured: 'x'.repeat(20_000) };
    scratch.write(`${OPENCODE_DATA}/opencode.db`, Buffer.from(await opencodeDatabase({ sessions: [session], messages: [message, big], parts })));
    const engine = agentsEngine(scratch, { agents: ['opencode'] });
    engine.start();
    const [s] = engine.ledger.summaries();
    assert.deepEqual([s.inputTokens, s.outputTokens, s.requests, s.cwd], [22, 299, 3, '/work/repo']);
  });

  it('every session in a database gets its own working folder', async () => {
    const other = 'ses_8a1b2c3d4eefAbCdEf';
    const one = opencodeAssistant({ id: 'msg_c1', sessionID: SES, created: T, tokens: { input: 5, output: 5 } });
    const two = opencodeAssistant({ id: 'msg_c2', sessionID: other, created: T + 1000, tokens: { input: 6, output: 6 } });
    const db = await opencodeDatabase({
      sessions: [opencodeSession({ id: SES, directory: '/work/first' }), opencodeSession({ id: other, directory: '/work/second' })],
      messages: [one, two],
      parts: [],
    });
    scratch.write(`${OPENCODE_DATA}/opencode.db`, Buffer.from(db));
    const engine = agentsEngine(scratch, { agents: ['opencode'] });
    engine.start();
    const cwds = Object.fromEntries(engine.ledger.summaries().map((s) => [s.sessionId, s.cwd]));
    assert.deepEqual(cwds, { [SES]: '/work/first', [other]: '/work/second' });
  });

  it('rows still in the write-ahead log are read, and the database plus its log count once', async () => {
    const session = opencodeSession({ id: SES, directory: '/work/repo' });
    const first = opencodeAssistant({ id: 'msg_1', sessionID: SES, created: T, tokens: { input: 10, output: 1 } });
    const before = await opencodeDatabase({ sessions: [session], messages: [first] });
    const live = opencodeAssistant({ id: 'msg_2', sessionID: SES, created: T + 1, tokens: { input: 20, output: 2 } });
    const after = await opencodeDatabase({ sessions: [], messages: [live], base: before });
    scratch.write(`${OPENCODE_DATA}/opencode.db`, Buffer.from(before));
    scratch.write(`${OPENCODE_DATA}/opencode.db-wal`, Buffer.from(walBetween(before, after)));
    const engine = agentsEngine(scratch, { agents: ['opencode'] });
    engine.start();
    const [s] = engine.ledger.summaries();
    assert.deepEqual([s.inputTokens, s.outputTokens, s.requests], [30, 3, 2]);
  });

  it('a forked session (copies under new ids, same times) does not count the copied calls again', async () => {
    const fork = 'ses_fork';
    const original = opencodeAssistant({ id: 'msg_0001', sessionID: SES, created: T, tokens: { input: 10, output: 5 } });
    const copy = { ...original, id: 'msg_0009', sessionID: fork };
    const own = opencodeAssistant({ id: 'msg_0010', sessionID: fork, created: T + 5000, tokens: { input: 1, output: 1 } });
    scratch.write(`${OPENCODE_DATA}/opencode.db`, Buffer.from(await opencodeDatabase({ sessions: [opencodeSession({ id: SES, directory: '/a' }), opencodeSession({ id: fork, directory: '/a' })], messages: [original, copy, own] })));
    const engine = agentsEngine(scratch, { agents: ['opencode'] });
    engine.start();
    const total = engine.ledger.summaries().reduce((n, s) => n + s.inputTokens + s.outputTokens, 0);
    assert.equal(total, 17);
    assert.equal(engine.ledger.summary('opencode', SES)?.inputTokens, 10, 'the original owns the copied call');
  });

  it('malformed message files and non-databases are skipped with a reason', () => {
    scratch.write(`${OPENCODE_DATA}/storage/message/${SES}/msg_bad.json`, '{"id": "msg_bad", "role": "assis');
    scratch.write(`${OPENCODE_DATA}/opencode.db`, 'not a database at all, just text long enough to have a header of a hundred bytes...........................');
    const engine = agentsEngine(scratch, { agents: ['opencode'] });
    const stats = engine.start();
    const reasons = stats.skips.map((k: Skip) => `${k.reason}:${k.detail ?? ''}`);
    assert.ok(reasons.some((r) => r.startsWith('malformed-json:not a complete JSON')), reasons.join(', '));
    assert.ok(reasons.some((r) => r.includes('not an SQLite database')), reasons.join(', '));
    assert.equal(engine.ledger.summaries().length, 0);
  });

  it('the SQLite reader applies a write-ahead log written by SQLite itself', () => {
    const read = (wal?: Uint8Array) => [...new SqliteReader(applyWal(REAL_WAL_FIXTURE.db, wal)).rows('m')].map((r) => r.id);
    assert.deepEqual(read(), ['a'], 'without the log: only the checkpointed row');
    assert.deepEqual(read(REAL_WAL_FIXTURE.wal), ['a', 'b']);
    const torn = Uint8Array.from(REAL_WAL_FIXTURE.wal);
    torn[torn.length - 1] ^= 0xff; // a frame whose checksum fails is not committed
    assert.deepEqual(read(torn), ['a']);
  });

  it('column names come from CREATE TABLE, constraints skipped', () => {
    assert.deepEqual(columnNames('CREATE TABLE `part` (`id` text PRIMARY KEY, "message_id" text NOT NULL, data text, CONSTRAINT fk FOREIGN KEY (`message_id`) REFERENCES `message`(`id`))'), ['id', 'message_id', 'data']);
  });
});
