import * as assert from 'node:assert/strict';
import type { ActivityEvent, Skip } from '../../src/core/sources/types';
import { stableHash } from '../../src/core/util/hash';
import { applyWal, columnNames, SqliteReader } from '../../src/core/sources/opencode/sqliteReader';
import { agentsEngine } from './helpers/agents';
import { activityLabel, quietEngine, Scratch, touch } from './helpers/fixtures';
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

/** A `tool` part (message-v2 ToolPart) in the given state; errors and completions end 50 ms after they start. */
function toolPart(o: { id: string; messageID: string; sessionID?: string; tool: string; callID: string; input: Record<string, unknown>; status: 'pending' | 'running' | 'completed' | 'error'; start: number; error?: string }) {
  const time = o.status === 'pending' ? undefined : o.status === 'running' ? { start: o.start } : { start: o.start, end: o.start + 50 };
  const state =
    o.status === 'error'
      ? { status: 'error', input: o.input, error: o.error ?? 'failed', time }
      : o.status === 'completed'
        ? { status: 'completed', input: o.input, output: 'ok', title: o.tool, metadata: {}, time }
        : { status: o.status, input: o.input, ...(time ? { time } : { raw: '' }) };
  return { id: o.id, sessionID: o.sessionID ?? SES, messageID: o.messageID, type: 'tool', callID: o.callID, tool: o.tool, state };
}

function textPart(o: { id: string; messageID: string; sessionID?: string; text: string; synthetic?: boolean }) {
  return { id: o.id, sessionID: o.sessionID ?? SES, messageID: o.messageID, type: 'text', text: o.text, ...(o.synthetic ? { synthetic: true } : {}) };
}

/** An assistant message still streaming: no `time.completed` yet. */
function openAssistant(o: Parameters<typeof opencodeAssistant>[0]) {
  const m = opencodeAssistant(o);
  return { ...m, time: { created: o.created } };
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

  describe('activity', () => {
    const CHILD = 'ses_child';
    /** A session as OpenCode records it: a turn, two equal bash calls (the second fails), a compaction, a subagent. */
    function sessionRows() {
      const sessions = [opencodeSession({ id: SES, directory: '/work/repo' }), opencodeSession({ id: CHILD, directory: '/work/repo', parentID: SES })];
      const messages = [
        opencodeUser({ id: 'msg_0001', sessionID: SES, created: T }),
        opencodeAssistant({ id: 'msg_0002', sessionID: SES, created: T + 1000, tokens: { input: 10, output: 20, cache: { read: 1000, write: 200 } } }),
        opencodeUser({ id: 'msg_0003', sessionID: SES, created: T + 2000 }),
        { ...opencodeAssistant({ id: 'msg_0004', sessionID: SES, created: T + 3000, tokens: { input: 5, output: 400 } }), parentID: 'msg_0003', summary: true, mode: 'compaction', agent: 'compaction' },
        opencodeUser({ id: 'msg_0005', sessionID: SES, created: T + 4000 }),
        opencodeUser({ id: 'msg_0006', sessionID: CHILD, created: T + 5000 }),
        opencodeAssistant({ id: 'msg_0007', sessionID: CHILD, created: T + 6000, tokens: { input: 9, output: 9 } }),
      ];
      const parts = [
        textPart({ id: 'prt_0001', messageID: 'msg_0001', text: 'make the tests pass' }),
        toolPart({ id: 'prt_0002', messageID: 'msg_0002', tool: 'bash', callID: 'toolu_1', input: { command: 'npm test', timeout: 60000 }, status: 'completed', start: T + 1100 }),
        // Same arguments, keys in another order and spaces doubled: the same call again.
        toolPart({ id: 'prt_0003', messageID: 'msg_0002', tool: 'bash', callID: 'toolu_2', input: { timeout: 60000, command: 'npm  test' }, status: 'error', start: T + 1200, error: 'Error: exit code 1 after 812ms' }),
        opencodeStepFinish({ id: 'prt_0004', sessionID: SES, messageID: 'msg_0002', tokens: { input: 10, output: 20, cache: { read: 1000, write: 200 } } }),
        { id: 'prt_0005', sessionID: SES, messageID: 'msg_0003', type: 'compaction', auto: true },
        opencodeStepFinish({ id: 'prt_0006', sessionID: SES, messageID: 'msg_0004', tokens: { input: 5, output: 400 } }),
        textPart({ id: 'prt_0007', messageID: 'msg_0005', text: 'Continue if you have next steps, or stop and ask for clarification if you are unsure how to proceed.', synthetic: true }),
        textPart({ id: 'prt_0008', sessionID: CHILD, messageID: 'msg_0006', text: 'find the flaky test' }),
        toolPart({ id: 'prt_0009', sessionID: CHILD, messageID: 'msg_0007', tool: 'grep', callID: 'toolu_3', input: { pattern: 'flaky' }, status: 'completed', start: T + 6100 }),
        opencodeStepFinish({ id: 'prt_0010', sessionID: CHILD, messageID: 'msg_0007', tokens: { input: 9, output: 9 } }),
      ];
      return { sessions, messages, parts };
    }

    it('the database gives the folder, turns, tool calls with stable hashes, errors, compactions and context', async () => {
      scratch.write(`${OPENCODE_DATA}/opencode.db`, Buffer.from(await opencodeDatabase(sessionRows())));
      const events: ActivityEvent[] = [];
      agentsEngine(scratch, { agents: ['opencode'], activity: events }).start();
      // The compaction request, the synthetic "Continue" and the subagent's prompt are no turns;
      // the subagent's call is the root session's, its context a window of its own.
      assert.deepEqual(events.map(activityLabel), ['session', 'userTurn', 'toolCall:bash:toolu_1', 'toolCall:bash:toolu_2', 'toolError:bash:toolu_2', 'context', 'compaction', 'context', 'toolCall:grep:toolu_3']);
      assert.ok(events.every((e) => e.agent === 'opencode' && e.sessionId === SES));
      const [session, turn, call1, call2, error, context] = events;
      assert.deepEqual([session.kind === 'session' && session.cwd, session.timestamp, turn.timestamp], ['/work/repo', T, T]);
      assert.ok(call1.kind === 'toolCall' && call2.kind === 'toolCall' && error.kind === 'toolError');
      assert.equal(call1.argsHash, call2.argsHash, 'equal arguments hash equal');
      assert.equal(call1.argsHash, stableHash({ command: 'npm test', timeout: 60000 }));
      assert.deepEqual([call1.timestamp, call2.timestamp, error.timestamp], [T + 1100, T + 1200, T + 1250], "the tool's own start and end times");
      assert.ok(context.kind === 'context');
      assert.deepEqual([context.contextTokens, context.contextWindow, context.timestamp], [1230, undefined, T + 1000]);
      assert.equal(events[6].timestamp, T + 3000);
    });

    it('a re-read emits nothing new; a changed row emits only its new events, from the database or its log once', async () => {
      const session = opencodeSession({ id: SES, directory: '/work/repo' });
      const user = opencodeUser({ id: 'msg_0001', sessionID: SES, created: T });
      const text = textPart({ id: 'prt_0001', messageID: 'msg_0001', text: 'run the tests' });
      const running = toolPart({ id: 'prt_0002', messageID: 'msg_0002', tool: 'bash', callID: 'toolu_1', input: { command: 'npm test' }, status: 'running', start: T + 1100 });
      const streaming = toolPart({ id: 'prt_0003', messageID: 'msg_0002', tool: 'read', callID: 'toolu_2', input: {}, status: 'pending', start: T + 1200 });
      const before = await opencodeDatabase({ sessions: [session], messages: [user, openAssistant({ id: 'msg_0002', sessionID: SES, created: T + 1000 })], parts: [text, running, streaming] });
      const db = `${OPENCODE_DATA}/opencode.db`;
      scratch.write(db, Buffer.from(before));
      const events: ActivityEvent[] = [];
      const engine = agentsEngine(scratch, { agents: ['opencode'], activity: events });
      engine.start();
      assert.deepEqual(events.map(activityLabel), ['session', 'userTurn', 'toolCall:bash:toolu_1'], 'a pending call waits for its input');

      touch(scratch, db, T + 60_000);
      engine.refresh();
      assert.equal(events.length, 3, 'the same rows again: nothing');

      // The log brings the first call's failure, the second's input and the end of the step, then a new turn.
      const failed = toolPart({ id: 'prt_0002', messageID: 'msg_0002', tool: 'bash', callID: 'toolu_1', input: { command: 'npm test' }, status: 'error', start: T + 1100, error: 'exit 1' });
      const read = toolPart({ id: 'prt_0003', messageID: 'msg_0002', tool: 'read', callID: 'toolu_2', input: { filePath: '/work/repo/a.ts' }, status: 'completed', start: T + 1200 });
      const step = opencodeStepFinish({ id: 'prt_0004', sessionID: SES, messageID: 'msg_0002', tokens: { input: 100, output: 50 } });
      const after = await opencodeDatabase({
        sessions: [session],
        messages: [user, opencodeAssistant({ id: 'msg_0002', sessionID: SES, created: T + 1000, tokens: { input: 100, output: 50 } }), opencodeUser({ id: 'msg_0005', sessionID: SES, created: T + 9000 })],
        parts: [text, failed, read, step, textPart({ id: 'prt_0005', messageID: 'msg_0005', text: 'again' })],
      });
      scratch.write(`${db}-wal`, Buffer.from(walBetween(before, after)));
      engine.refresh();
      assert.deepEqual(events.slice(3).map(activityLabel), ['toolError:bash:toolu_1', 'toolCall:read:toolu_2', 'context', 'userTurn']);

      // A checkpoint writes the same rows into the database file: the two files are one content.
      scratch.write(db, Buffer.from(after));
      touch(scratch, `${db}-wal`, T + 120_000);
      engine.refresh();
      assert.equal(events.length, 7);
      assert.deepEqual([engine.ledger.summaries()[0].inputTokens, engine.ledger.summaries()[0].requests], [100, 1], 'usage is untouched by activity');
    });

    it('a first read of a database looks back 12 hours from its newest message', async () => {
      const old = opencodeUser({ id: 'msg_0001', sessionID: SES, created: T - 13 * 3_600_000 });
      const recent = opencodeUser({ id: 'msg_0002', sessionID: SES, created: T });
      const parts = [textPart({ id: 'prt_0001', messageID: 'msg_0001', text: 'yesterday' }), textPart({ id: 'prt_0002', messageID: 'msg_0002', text: 'today' })];
      scratch.write(`${OPENCODE_DATA}/opencode.db`, Buffer.from(await opencodeDatabase({ sessions: [opencodeSession({ id: SES, directory: '/work/repo' })], messages: [old, recent], parts })));
      const events: ActivityEvent[] = [];
      agentsEngine(scratch, { agents: ['opencode'], activity: events }).start();
      assert.deepEqual(events.map((e) => [e.kind, e.timestamp]), [['userTurn', T]]);
    });

    it('the JSON storage emits each message once, however often its file is rewritten', () => {
      const { message, parts } = twoStepMessage('msg_a1');
      const edit = (status: 'running' | 'error') => toolPart({ id: 'prt_msg_a1_0', messageID: 'msg_a1', tool: 'edit', callID: 'toolu_9', input: { filePath: 'a.ts', oldString: 'x', newString: 'y' }, status, start: T + 10, error: 'oldString not found in content' });
      const session = opencodeSession({ id: SES, directory: '/work/repo' });
      const user = opencodeUser({ id: 'msg_0001', sessionID: SES, created: T - 1 });
      // The message is still streaming: its edit is running.
      writeOpencodeStorage(scratch, { sessions: [session], messages: [user, { ...message, time: { created: T } }], parts: [textPart({ id: 'prt_u1', messageID: 'msg_0001', text: 'rename x' }), edit('running'), ...parts] });
      const events: ActivityEvent[] = [];
      const engine = agentsEngine(scratch, { agents: ['opencode'], activity: events });
      engine.start();
      assert.deepEqual(events.map(activityLabel).sort(), ['context', 'context', 'session', 'toolCall:edit:toolu_9', 'userTurn']);
      const contexts = events.filter((e) => e.kind === 'context').map((e) => e.kind === 'context' && e.contextTokens);
      assert.deepEqual(contexts, [18052, 18853], 'one per step, in step order');

      // OpenCode rewrites the message when it completes; the edit has failed meanwhile.
      writeOpencodeStorage(scratch, { sessions: [session], messages: [message], parts: [edit('error')] });
      touch(scratch, `${OPENCODE_DATA}/storage/message/${SES}/msg_a1.json`, T + 60_000);
      engine.refresh();
      assert.deepEqual(events.slice(5).map(activityLabel), ['toolError:edit:toolu_9']);

      touch(scratch, `${OPENCODE_DATA}/storage/message/${SES}/msg_a1.json`, T + 120_000);
      touch(scratch, `${OPENCODE_DATA}/storage/message/${SES}/msg_0001.json`, T + 120_000);
      engine.refresh();
      assert.equal(events.length, 6);
    });

    it('with activity off nothing is emitted', async () => {
      scratch.write(`${OPENCODE_DATA}/opencode.db`, Buffer.from(await opencodeDatabase(sessionRows())));
      const events: ActivityEvent[] = [];
      const engine = quietEngine(scratch, 'opencode', events);
      engine.start();
      assert.equal(events.length, 0);
      assert.equal(engine.ledger.summaries()[0].requests, 3);
    });
  });
});
