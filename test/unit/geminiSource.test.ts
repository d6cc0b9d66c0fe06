import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { geminiProjectHashMatches } from '../../src/core/sources/gemini/geminiSource';
import type { ActivityEvent } from '../../src/core/sources/types';
import { agentsEngine, geminiDocument, geminiLog, geminiMessage, geminiUser } from './helpers/agents';
import { Scratch } from './helpers/fixtures';

const S = 'dcbe78d3-ea75-4786-929e-d6cff0fc00ed';
const CHATS = 'home/.gemini/tmp/my-app/chats';

describe('Gemini CLI source', () => {
  let scratch: Scratch;
  beforeEach(() => (scratch = new Scratch()));
  afterEach(() => scratch.dispose());

  it('splits cached input out of input and bills thoughts and tool-use prompts', () => {
    scratch.write(`${CHATS}/session-2026-06-05T04-59-dcbe78d3.json`, geminiDocument(S, [
      geminiUser('u1', '2026-06-05T04:59:42.197Z'),
      geminiMessage({ id: 'm1', ts: '2026-06-05T04:59:44.839Z', model: 'gemini-2.5-flash', tokens: { input: 4383, output: 8, cached: 4000, thoughts: 28, tool: 10 } }),
    ]));
    const engine = agentsEngine(scratch, { agents: ['gemini-cli'] });
    engine.start();
    const [s] = engine.ledger.summaries();
    assert.equal(s.agent, 'gemini-cli');
    assert.equal(s.sessionId, S);
    // input 4383 includes cached 4000: 383 fresh + 10 tool-use prompt; output 8 + 28 thoughts.
    assert.deepEqual([s.inputTokens, s.cacheReadTokens, s.outputTokens, s.reasoningOutputTokens, s.totalTokens], [393, 4000, 36, 28, 4429]);
    assert.ok(s.costUSD !== null && s.costUSD > 0, 'gemini-2.5-flash is priced from the google table');
  });

  it('counts a message re-appended as it changes once, at its last copy', () => {
    const m = { id: 'm1', ts: '2026-06-05T05:00:00.000Z' };
    scratch.write(`${CHATS}/session-2026-06-05T04-59-dcbe78d3.jsonl`, geminiLog(S, [
      geminiUser('u1', '2026-06-05T04:59:59.000Z'),
      geminiMessage({ ...m }), // recorded before its usage arrived
      geminiMessage({ ...m, tokens: { input: 1000, output: 50 } }),
      geminiMessage({ ...m, tokens: { input: 1000, output: 50 }, toolCalls: [{ id: 'c1', name: 'read_file', args: { file_path: 'a' }, status: 'success', timestamp: m.ts }] }),
      { $set: { lastUpdated: '2026-06-05T05:00:01.000Z' } },
      { $rewindTo: 'm1' }, // hides the message; its call was still billed
    ]));
    const engine = agentsEngine(scratch, { agents: ['gemini-cli'] });
    engine.start();
    const [s] = engine.ledger.summaries();
    assert.deepEqual([s.inputTokens, s.outputTokens, s.requests], [1000, 50, 1]);
  });

  it('does not count a legacy .json session twice when gemini-cli migrates it to .jsonl on resume', () => {
    const messages = [geminiMessage({ id: 'm1', ts: '2026-06-05T05:00:00.000Z', tokens: { input: 100, output: 10 } })];
    scratch.write(`${CHATS}/session-2026-06-05T04-59-dcbe78d3.json`, geminiDocument(S, messages));
    scratch.write(`${CHATS}/session-2026-06-05T04-59-dcbe78d3.jsonl`, geminiLog(S, [...messages, geminiMessage({ id: 'm2', ts: '2026-06-05T05:10:00.000Z', tokens: { input: 200, output: 20 } })]));
    const engine = agentsEngine(scratch, { agents: ['gemini-cli'] });
    engine.start();
    const [s] = engine.ledger.summaries();
    assert.deepEqual([s.totalTokens, s.requests], [330, 2]);
  });

  it('gives a subagent chat to its parent session', () => {
    scratch.write(`${CHATS}/session-2026-06-05T04-59-dcbe78d3.jsonl`, geminiLog(S, [geminiMessage({ id: 'm1', ts: '2026-06-05T05:00:00.000Z', tokens: { input: 100, output: 10 } })]));
    scratch.write(`${CHATS}/${S}/sub-1.jsonl`, geminiLog('sub-1', [geminiMessage({ id: 'm1', ts: '2026-06-05T05:01:00.000Z', tokens: { input: 7, output: 3 } })]));
    const engine = agentsEngine(scratch, { agents: ['gemini-cli'] });
    engine.start();
    const sessions = engine.ledger.summaries();
    assert.equal(sessions.length, 1);
    assert.deepEqual([sessions[0].sessionId, sessions[0].totalTokens, sessions[0].requests], [S, 120, 2]);
  });

  it('reads GEMINI_CLI_HOME as the folder that holds .gemini, and the project folder from .project_root', () => {
    const alt = path.join(scratch.dir, 'profile');
    scratch.write('profile/.gemini/tmp/my-app/.project_root', '/work/my-app\n');
    scratch.write('profile/.gemini/tmp/my-app/chats/session-2026-06-05T04-59-dcbe78d3.json', geminiDocument(S, [geminiMessage({ id: 'm1', ts: '2026-06-05T05:00:00.000Z', tokens: { input: 5, output: 5 } })]));
    scratch.write(`${CHATS}/session-2026-06-05T04-59-ffffffff.json`, geminiDocument('other', [geminiMessage({ id: 'm1', ts: '2026-06-05T05:00:00.000Z', tokens: { input: 5, output: 5 } })]));
    const engine = agentsEngine(scratch, { agents: ['gemini-cli'], vars: { GEMINI_CLI_HOME: alt } });
    engine.start();
    const sessions = engine.ledger.summaries();
    assert.deepEqual(sessions.map((s) => [s.sessionId, s.cwd]), [[S, '/work/my-app']]);
  });

  it('matches a legacy hashed project folder by the sha256 of the workspace path', () => {
    const hash = createHash('sha256').update('/work/my-app').digest('hex');
    assert.ok(geminiProjectHashMatches(hash, '/work/my-app', 'linux'));
    assert.ok(geminiProjectHashMatches(hash.slice(0, 16), '/work/my-app', 'linux'), 'early versions kept 16 characters');
    assert.ok(!geminiProjectHashMatches(hash, '/work/other', 'linux'));
    const win = createHash('sha256').update('c:\\work\\app').digest('hex');
    assert.ok(geminiProjectHashMatches(win, 'C:\\Work\\App', 'win32'), 'Windows paths are lower-cased first');
  });

  it('emits user turns, tool calls and tool errors once across rewrites of the document', () => {
    const file = `${CHATS}/session-2026-06-05T04-59-dcbe78d3.json`;
    const call = { id: 'c1', name: 'run_shell_command', args: { command: 'npm test' }, status: 'error', resultDisplay: 'exit 1', timestamp: '2026-06-05T05:00:01.000Z' };
    const first = [geminiUser('u1', '2026-06-05T05:00:00.000Z'), geminiMessage({ id: 'm1', ts: '2026-06-05T05:00:02.000Z', tokens: { input: 10, output: 1 }, toolCalls: [call] })];
    scratch.write(file, geminiDocument(S, first));
    const events: ActivityEvent[] = [];
    const engine = agentsEngine(scratch, { agents: ['gemini-cli'], activity: events });
    engine.start();
    scratch.write(file, geminiDocument(S, [...first, geminiUser('u2', '2026-06-05T05:01:00.000Z')]));
    engine.refresh();
    const kinds = events.filter((e) => e.kind !== 'context').map((e) => e.kind);
    assert.deepEqual(kinds, ['userTurn', 'toolCall', 'toolError', 'userTurn']);
    assert.equal(engine.ledger.summaries()[0].requests, 1);
  });

  it('skips a usage block with broken counts and reports it', () => {
    scratch.write(`${CHATS}/session-2026-06-05T04-59-dcbe78d3.jsonl`, geminiLog(S, [{ ...geminiMessage({ id: 'm1', ts: '2026-06-05T05:00:00.000Z' }), tokens: { input: -1, output: 2, cached: 0, total: 1 } }]));
    const engine = agentsEngine(scratch, { agents: ['gemini-cli'] });
    const stats = engine.start();
    assert.equal(engine.ledger.summaries().length, 0);
    assert.ok(stats.skips.some((s) => s.reason === 'bad-usage'));
    assert.ok(fs.existsSync(path.join(scratch.dir, CHATS)));
  });
});
