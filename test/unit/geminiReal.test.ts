/**
 * The Gemini CLI source against the shape the real `@google/gemini-cli` 0.61.0 writes (observed in
 * test/e2e/gemini.e2e.test.ts; ids, times and paths shortened, everything else verbatim): a
 * `session-*.jsonl` with a metadata line, `$set` lines (the session context as `$set.messages`,
 * `lastUpdated`), each `gemini` message appended once with its tokens and again with its
 * `toolCalls`, and every tool result recorded as a `type: "user"` message whose content is only a
 * `functionResponse` part. Those tool results are not user turns: counting them as turns reset the
 * guard's "since the last user turn" window after every call, so a Gemini loop never showed.
 */
import * as assert from 'node:assert/strict';
import type { ActivityEvent } from '../../src/core/sources/types';
import { agentsEngine } from './helpers/agents';
import { Scratch } from './helpers/fixtures';

const S = 'd6dc6227-9423-41a2-b890-a9bb130f6b81';
const PROJECT = 'home/.gemini/tmp/workspace';
const FILE = `${PROJECT}/chats/session-2026-11-22T17-36-d6dc6227.jsonl`;

const call = (n: number, command: string, at: string) => ({
  id: `run_shell_command__run_shell_command_179536898311${n}_0`,
  name: 'run_shell_command',
  args: { command, description: `Run ${command}` },
  result: [{ functionResponse: { id: `run_shell_command__run_shell_command_179536898311${n}_0`, name: 'run_shell_command', response: { output: '<untrusted_context>\nOutput: (empty)\nProcess Group PGID: 7404\n</untrusted_context>' } } }],
  status: 'success',
  timestamp: at,
  resultDisplay: '',
  description: command,
  displayName: 'Shell',
  renderOutputAsMarkdown: false,
});

const toolResult = (id: string, at: string, callId: string) => ({
  id, timestamp: at, type: 'user',
  content: [{ functionResponse: { id: callId, name: 'run_shell_command', response: { output: '<untrusted_context>\nOutput: (empty)\nProcess Group PGID: 7404\n</untrusted_context>' } } }],
});

const gemini = (id: string, at: string, content: string, n: number, toolCalls?: unknown[]) => ({
  id, timestamp: at, type: 'gemini', content, thoughts: [],
  tokens: { input: 4000 + 100 * n, output: 30 + 3 * n, cached: 1000 + 10 * n, thoughts: 11 + 2 * n, tool: 17 + n, total: 4000 + 100 * n + 30 + 3 * n + 11 + 2 * n + 17 + n },
  model: 'gemini-2.5-pro',
  ...(toolCalls ? { toolCalls } : {}),
});

function realLog(calls: number): string {
  const lines: unknown[] = [
    { sessionId: S, projectHash: 'f22a4b3115f6dd0f62d03c354870271abe230d00043c86531bfa0095e7dd411e', startTime: '2026-11-22T17:36:23.072Z', lastUpdated: '2026-11-22T17:36:23.072Z', kind: 'main' },
    { $set: { messages: [{ id: 'd04923d38bb0f6017037e74183378ef4', timestamp: '2026-11-22T17:36:23.072Z', type: 'user', content: [{ text: '<session_context>\nThis is the Gemini CLI. We are setting up the context for our chat.\n</session_context>' }] }], lastUpdated: '2026-11-22T17:36:23.072Z' } },
    { id: '0c89a1a6-44e5-4985-ad44-50a927646cee', timestamp: '2026-11-22T17:36:23.082Z', type: 'user', content: [{ text: 'Create hello.txt containing hi.' }] },
    { $set: { lastUpdated: '2026-11-22T17:36:23.082Z' } },
  ];
  for (let n = 1; n <= calls; n++) {
    const at = `2026-11-22T17:36:2${3 + n}.175Z`;
    const c = call(n, 'echo hi > hello.txt', `2026-11-22T17:36:2${3 + n}.256Z`);
    lines.push(gemini(`m${n}`, at, n === 1 ? 'I will create the file.' : '', n));
    lines.push({ $set: { lastUpdated: at } });
    lines.push(gemini(`m${n}`, at, n === 1 ? 'I will create the file.' : '', n, [c]));
    lines.push(toolResult(`r${n}`, `2026-11-22T17:36:2${3 + n}.262Z`, c.id));
    lines.push({ $set: { lastUpdated: `2026-11-22T17:36:2${3 + n}.262Z` } });
  }
  lines.push(gemini('final', '2026-11-22T17:36:29.274Z', 'Done.', calls + 1));
  lines.push({ $set: { lastUpdated: '2026-11-22T17:36:29.274Z' } });
  return lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
}

describe('Gemini CLI source on the real 0.61.0 log shape', () => {
  let scratch: Scratch;
  beforeEach(() => (scratch = new Scratch()));
  afterEach(() => scratch.dispose());

  it('counts every logged reply once and takes the cwd from .project_root', () => {
    scratch.write(`${PROJECT}/.project_root`, '/tmp/agent-meter-gemini-e2e-GT7VEP/workspace');
    scratch.write(FILE, realLog(1));
    const engine = agentsEngine(scratch, { agents: ['gemini-cli'] });
    const stats = engine.start();
    assert.deepEqual(stats.skips, []);
    const sessions = engine.ledger.summaries();
    assert.equal(sessions.length, 1);
    const s = sessions[0];
    assert.deepEqual([s.sessionId, s.cwd], [S, '/tmp/agent-meter-gemini-e2e-GT7VEP/workspace']);
    // Replies 1 and 2: prompt 4100+4200, cached 1010+1020, candidates 33+36, thoughts 13+15, tool 18+19.
    assert.deepEqual(
      [s.inputTokens, s.cacheReadTokens, s.outputTokens, s.reasoningOutputTokens, s.totalTokens, s.requests],
      [8300 - 2030 + 37, 2030, 69 + 28, 28, 4164 + 4270, 2],
    );
  });

  it('sees the tool calls, and only the typed prompt as a user turn (tool results are not turns)', () => {
    scratch.write(`${PROJECT}/.project_root`, '/work/app');
    scratch.write(FILE, realLog(3));
    const events: ActivityEvent[] = [];
    agentsEngine(scratch, { agents: ['gemini-cli'], activity: events }).start();
    const kinds = events.filter((e) => e.kind !== 'context').map((e) => e.kind);
    assert.deepEqual(kinds, ['session', 'userTurn', 'toolCall', 'toolCall', 'toolCall']);
    const calls = events.filter((e): e is Extract<ActivityEvent, { kind: 'toolCall' }> => e.kind === 'toolCall');
    assert.equal(new Set(calls.map((c) => c.argsHash)).size, 1, 'the repeated calls hash equal');
    assert.equal(new Set(calls.map((c) => c.callId)).size, 3);
  });
});
