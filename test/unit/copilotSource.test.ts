import * as assert from 'node:assert/strict';
import { Engine } from '../../src/core/engine';
import { countTokens } from '../../src/core/estimate/tokenizer';
import type { ActivityEvent, Skip } from '../../src/core/sources/types';
import { stableHash } from '../../src/core/util/hash';
import { agentsEngine } from './helpers/agents';
import { copilotRequest, copilotSession, mutationLog, toolCallRound, workspaceDir } from './helpers/copilotFixtures';
import { activityLabel, quietEngine, Scratch, touch } from './helpers/fixtures';

const T = Date.parse('2025-11-20T10:00:00Z');
const SID = '3f1c2b9a-7d4e-4c1a-9b2f-0e5d6c7b8a90';

/**
 * A response's tool invocation as vscode serializes it (`ChatToolInvocation.toJSON`): a terminal
 * call carries its command line and, once run, its exit code and output; an MCP call its input and
 * output in `resultDetails`; other tools nothing of their arguments.
 */
function toolInvocation(o: { callId: string; toolId: string; terminal?: { command: string; exitCode?: number; output?: string }; mcp?: { input: string; isError?: boolean; output: string }; resultError?: string }) {
  const toolSpecificData = o.terminal
    ? {
        kind: 'terminal',
        commandLine: { original: o.terminal.command },
        language: 'sh',
        ...(o.terminal.exitCode !== undefined ? { terminalCommandState: { exitCode: o.terminal.exitCode, timestamp: 1, duration: 900 }, terminalCommandOutput: { text: o.terminal.output ?? '' } } : {}),
      }
    : undefined;
  const resultDetails = o.mcp ? { input: o.mcp.input, output: [{ type: 'embed', isText: true, value: o.mcp.output }], ...(o.mcp.isError ? { isError: true } : {}) } : undefined;
  return {
    kind: 'toolInvocationSerialized',
    invocationMessage: { value: `Using ${o.toolId}` },
    pastTenseMessage: { value: `Used ${o.toolId}` },
    isConfirmed: { type: 1 },
    isComplete: true,
    source: { type: 'internal', label: 'Built-In' },
    ...(toolSpecificData ? { toolSpecificData } : {}),
    ...(resultDetails ? { resultDetails } : {}),
    ...(o.resultError ? { resultError: o.resultError } : {}),
    toolCallId: o.callId,
    toolId: o.toolId,
  };
}

/** vscode-copilot-chat `toolCallRounds`: one round per call here, its arguments as the model wrote them. */
function rounds(...calls: Array<{ id: string; name: string; arguments: string }>) {
  return calls.map((call, i) => ({ id: `round_${i}`, response: '', toolInputRetry: 0, toolCalls: [call] }));
}

describe('Copilot Chat source', () => {
  let scratch: Scratch;
  beforeEach(() => (scratch = new Scratch()));
  afterEach(() => scratch.dispose());

  it('recorded counts are used as they are, the folder comes from workspace.json, and it is unpriced', () => {
    const dir = workspaceDir(scratch, 'a1b2c3', 'file:///work/my%20repo');
    const metadata = { promptTokens: 5200, outputTokens: 310, resolvedModel: 'gpt-4.1-2025-04-14', modelMessageId: 'm', responseId: 'r', sessionId: SID, agentId: 'github.copilot.editsAgent' };
    scratch.write(`${dir}/chatSessions/${SID}.json`, JSON.stringify(copilotSession(SID, [copilotRequest({ id: 'request_1', ts: T, text: 'fix the test', metadata })])));
    const engine = agentsEngine(scratch, { agents: ['copilot-chat'] });
    engine.start();
    const [s] = engine.ledger.summaries();
    assert.deepEqual([s.agent, s.sessionId, s.cwd, s.models], ['copilot-chat', SID, '/work/my repo', ['gpt-4.1-2025-04-14']]);
    assert.deepEqual([s.inputTokens, s.outputTokens, s.requests, s.estimated], [5200, 310, 1, false]);
    assert.equal(s.costUSD, null, 'Copilot bills by subscription');
  });

  it('a request without recorded counts is estimated from its text, and only that one is marked', () => {
    const dir = workspaceDir(scratch, 'a1b2c3', 'file:///work/repo');
    const answer = 'Use `Array.prototype.flatMap` here: it maps and flattens in one pass.';
    scratch.write(
      `${dir}/chatSessions/${SID}.json`,
      JSON.stringify(
        copilotSession(SID, [
          copilotRequest({ id: 'request_1', ts: T, text: 'old one', metadata: { promptTokens: 100, outputTokens: 10 } }),
          copilotRequest({ id: 'request_2', ts: T + 1, text: 'how do I flatten this array?', modelId: 'copilot/claude-sonnet-4', response: [{ kind: 'thinking', value: 'The user wants' }, { value: answer }] }),
        ]),
      ),
    );
    const engine = agentsEngine(scratch, { agents: ['copilot-chat'] });
    engine.start();
    const [exact, estimated] = engine.ledger.sessionRecords('copilot-chat', SID);
    assert.deepEqual([exact.inputTokens, exact.estimated ?? false], [100, false]);
    assert.deepEqual([estimated.model, estimated.estimated], ['claude-sonnet-4', true]);
    assert.equal(estimated.inputTokens, countTokens('how do I flatten this array?'));
    assert.equal(estimated.outputTokens, countTokens(`The user wants${answer}`));
    assert.equal(engine.ledger.summaries()[0].estimated, true);
  });

  it('the .jsonl change log is replayed: pushes, sets and truncation; one record per request', () => {
    const dir = workspaceDir(scratch, 'ws9');
    const r1 = copilotRequest({ id: 'request_1', ts: T, text: 'first', metadata: { promptTokens: 50, outputTokens: 5 } });
    const r2 = copilotRequest({ id: 'request_2', ts: T + 1, text: 'second' });
    const r3 = copilotRequest({ id: 'request_3', ts: T + 2, text: 'third, later undone', metadata: { promptTokens: 999, outputTokens: 9 } });
    const log = mutationLog(
      copilotSession(SID, [r1]),
      { kind: 2, k: ['requests'], v: [r2, r3] },
      { kind: 1, k: ['requests', 1, 'result'], v: { metadata: { promptTokens: 70, outputTokens: 7, resolvedModel: 'gpt-5-mini' } } },
      { kind: 2, k: ['requests'], i: 2 }, // request_3 removed
      { kind: 3, k: ['customTitle'] },
    );
    scratch.write(`${dir}/chatSessions/${SID}.jsonl`, log);
    const engine = agentsEngine(scratch, { agents: ['copilot-chat'] });
    engine.start();
    const [s] = engine.ledger.summaries();
    assert.deepEqual([s.inputTokens, s.outputTokens, s.requests, s.estimated, s.cwd], [120, 12, 2, false, undefined]);
  });

  it('a half-written log line keeps the last good read; malformed files are skipped with a reason', () => {
    const dir = workspaceDir(scratch, 'ws9');
    const file = `${dir}/chatSessions/${SID}.jsonl`;
    scratch.write(file, mutationLog(copilotSession(SID, [copilotRequest({ id: 'request_1', ts: T, text: 'a', metadata: { promptTokens: 50, outputTokens: 5 } })])));
    scratch.write(`${dir}/chatSessions/broken.json`, '{"version": 3, "requests": [');
    const engine = agentsEngine(scratch, { agents: ['copilot-chat'] });
    engine.start();
    scratch.append(file, '{"kind":1,"k":["requests",0,"result"],"v":{"metad');
    const stats = engine.refresh();
    assert.equal(engine.ledger.summaries()[0].inputTokens, 50, 'the last good read stands');
    assert.ok(stats.skips.some((k: Skip) => k.reason === 'malformed-json' && k.detail === 'mutation log line'));
    const first = agentsEngine(scratch, { agents: ['copilot-chat'] }).start();
    assert.ok(first.skips.some((k: Skip) => k.reason === 'malformed-json' && k.file.endsWith('broken.json')));
  });

  it('chats of a window with no folder open are read too', () => {
    scratch.write(`home/.config/Code/User/globalStorage/emptyWindowChatSessions/${SID}.json`, JSON.stringify(copilotSession(SID, [copilotRequest({ id: 'request_1', ts: T, text: 'hi', metadata: { promptTokens: 8, outputTokens: 2 } })])));
    const engine = agentsEngine(scratch, { agents: ['copilot-chat'] });
    engine.start();
    assert.deepEqual(engine.ledger.summaries().map((s) => [s.sessionId, s.inputTokens]), [[SID, 8]]);
  });

  describe('tool-call rounds', () => {
    const READ = '{"filePath":"/work/repo/a.ts","startLine":1,"endLine":50}';
    const keys = (engine: Engine) => engine.ledger.sessionRecords('copilot-chat', SID).map((r) => r.key).sort();

    /**
     * An agent request of three model calls whose rounds recorded their usage. The result metadata
     * also carries the Claude counts of the last call, and vscode the last prompt and the summed
     * completions: none of those may be added to the rounds.
     */
    function threeRounds(id: string, ts: number): Record<string, unknown> {
      const toolCallRounds = [
        toolCallRound({ id: 'b3e1c0de-0001', toolCalls: [{ id: 'toolu_01__vscode-1', name: 'read_file', arguments: READ }], usage: { prompt: 12_000, completion: 150 } }),
        toolCallRound({ id: 'b3e1c0de-0002', toolCalls: [{ id: 'toolu_02__vscode-2', name: 'run_in_terminal', arguments: '{"command":"npm test"}' }], usage: { prompt: 14_500, completion: 220, cached: 11_800 } }),
        toolCallRound({ id: 'b3e1c0de-0003', response: 'Fixed.', usage: { prompt: 15_100, completion: 90, cached: 14_400, reasoning: 40 }, thinkingTokens: 40 }),
      ];
      const metadata = { promptTokens: 15_100, outputTokens: 90, resolvedModel: 'claude-sonnet-4', toolCallRounds, modelMessageId: 'm', responseId: 'r', sessionId: SID, agentId: 'github.copilot.editsAgent' };
      return { ...copilotRequest({ id, ts, text: 'make the tests pass', metadata, modelId: 'copilot/claude-sonnet-4' }), promptTokens: 15_100, completionTokens: 460 };
    }

    it('a multi-round request counts each round once, and not its request-level counts', () => {
      const dir = workspaceDir(scratch, 'a1b2c3', 'file:///work/repo');
      scratch.write(`${dir}/chatSessions/${SID}.json`, JSON.stringify(copilotSession(SID, [threeRounds('request_1', T)])));
      const engine = agentsEngine(scratch, { agents: ['copilot-chat'] });
      engine.start();
      assert.deepEqual(keys(engine), [`copilot:${SID}:request_1:b3e1c0de-0001`, `copilot:${SID}:request_1:b3e1c0de-0002`, `copilot:${SID}:request_1:b3e1c0de-0003`]);
      const [s] = engine.ledger.summaries();
      assert.deepEqual(
        [s.requests, s.inputTokens, s.cacheReadTokens, s.outputTokens, s.reasoningOutputTokens, s.estimated, s.models],
        [3, 12_000 + 2_700 + 700, 11_800 + 14_400, 150 + 220 + 90, 40, false, ['claude-sonnet-4']],
      );
      assert.equal(s.totalTokens, 12_150 + 14_720 + 15_190, 'the three billed calls, prompt and completion each once');
    });

    it('cached tokens are taken out of the input', () => {
      const dir = workspaceDir(scratch, 'a1b2c3');
      const metadata = { resolvedModel: 'gpt-4.1-2025-04-14', toolCallRounds: [toolCallRound({ id: 'c0ffee-1', response: 'Done.', usage: { prompt: 10_000, completion: 300, cached: 8_000 } })] };
      scratch.write(`${dir}/chatSessions/${SID}.json`, JSON.stringify(copilotSession(SID, [copilotRequest({ id: 'request_1', ts: T, text: 'explain', metadata })])));
      const engine = agentsEngine(scratch, { agents: ['copilot-chat'] });
      engine.start();
      const [r] = engine.ledger.sessionRecords('copilot-chat', SID);
      assert.deepEqual([r.inputTokens, r.cacheReadTokens, r.outputTokens, r.totalTokens], [2_000, 8_000, 300, 10_300]);
    });

    it('a request whose rounds carry no usage uses the request counts, once, marked estimated when they are only its last call', () => {
      const dir = workspaceDir(scratch, 'a1b2c3');
      const toolCallRounds = [
        toolCallRound({ id: 'd00d-1', toolCalls: [{ id: 'toolu_01__vscode-1', name: 'read_file', arguments: READ }], thinkingTokens: 30 }),
        toolCallRound({ id: 'd00d-2', response: 'Here it is.', thinkingTokens: 70 }),
      ];
      const metadata = { promptTokens: 9_400, outputTokens: 310, resolvedModel: 'claude-sonnet-4', toolCallRounds };
      scratch.write(`${dir}/chatSessions/${SID}.json`, JSON.stringify(copilotSession(SID, [{ ...copilotRequest({ id: 'request_1', ts: T, text: 'where is it?', metadata }), promptTokens: 9_400, completionTokens: 420 }])));
      const engine = agentsEngine(scratch, { agents: ['copilot-chat'] });
      engine.start();
      assert.deepEqual(keys(engine), [`copilot:${SID}:request_1`]);
      const [s] = engine.ledger.summaries();
      // Two rounds, but only the last call's counts: a lower bound, marked so.
      assert.deepEqual([s.requests, s.inputTokens, s.outputTokens, s.cacheReadTokens, s.estimated], [1, 9_400, 310, 0, true]);
    });

    it('a round without usage beside rounds with it is reported, and the request counts are still not used', () => {
      const dir = workspaceDir(scratch, 'a1b2c3');
      const toolCallRounds = [
        toolCallRound({ id: 'e1-1', toolCalls: [{ id: 'toolu_01__vscode-1', name: 'read_file', arguments: READ }], usage: { prompt: 5_000, completion: 60 } }),
        toolCallRound({ id: 'e1-2' }), // the call failed: an empty round
      ];
      const metadata = { promptTokens: 5_000, outputTokens: 60, resolvedModel: 'gpt-5-mini', toolCallRounds };
      scratch.write(`${dir}/chatSessions/${SID}.json`, JSON.stringify(copilotSession(SID, [copilotRequest({ id: 'request_1', ts: T, text: 'go', metadata })])));
      const engine = agentsEngine(scratch, { agents: ['copilot-chat'] });
      const stats = engine.start();
      assert.deepEqual(keys(engine), [`copilot:${SID}:request_1:e1-1`]);
      assert.deepEqual([engine.ledger.summaries()[0].inputTokens, engine.ledger.summaries()[0].outputTokens], [5_000, 60]);
      assert.ok(stats.skips.some((k: Skip) => k.reason === 'bad-usage' && k.detail === `copilot:${SID}:request_1 round e1-2: no usage recorded`));
    });

    it('rewrites of a session count nothing twice: a running estimate gives way to the rounds, compaction and a .json copy add nothing', () => {
      const dir = workspaceDir(scratch, 'ws9', 'file:///work/repo');
      const file = `${dir}/chatSessions/${SID}.jsonl`;
      const finished = threeRounds('request_1', T);
      const running = { ...finished, result: undefined, promptTokens: undefined, completionTokens: undefined };
      scratch.write(file, mutationLog(copilotSession(SID, [running])));
      const engine = agentsEngine(scratch, { agents: ['copilot-chat'] });
      engine.start();
      assert.deepEqual(keys(engine), [`copilot:${SID}:request_1`], 'while running: estimated from its text');
      assert.equal(engine.ledger.summaries()[0].estimated, true);

      scratch.append(file, `${JSON.stringify({ kind: 1, k: ['requests', 0, 'result'], v: finished.result })}\n`);
      engine.refresh();
      const expected = [3, 15_400, 26_200, 460, false];
      const totals = () => {
        const [s] = engine.ledger.summaries();
        return [s.requests, s.inputTokens, s.cacheReadTokens, s.outputTokens, s.estimated];
      };
      assert.deepEqual(totals(), expected, 'finished: its rounds only, the estimate gone');

      touch(scratch, file, T + 60_000);
      engine.refresh();
      assert.deepEqual(totals(), expected, 'the same file again');

      scratch.write(file, mutationLog(copilotSession(SID, [finished]))); // the editor compacts the log
      engine.refresh();
      assert.deepEqual(totals(), expected, 'compacted');

      scratch.write(`${dir}/chatSessions/${SID}.json`, JSON.stringify(copilotSession(SID, [finished])));
      engine.refresh();
      assert.deepEqual(totals(), expected, 'a whole-document copy of the session');
      assert.equal(engine.ledger.sessionRecords('copilot-chat', SID).length, 3);
    });
  });

  describe('activity', () => {
    const READ = '{"filePath":"/work/repo/a.ts","startLine":1,"endLine":50}';

    /** An agent request that reads a file, runs the failing tests, then reads the file again. */
    function agentRequest(id: string, ts: number) {
      const metadata = {
        promptTokens: 5200,
        outputTokens: 310,
        toolCallRounds: rounds(
          { id: `${id}_a__vscode-1`, name: 'read_file', arguments: READ },
          { id: `${id}_b__vscode-2`, name: 'run_in_terminal', arguments: '{"command":"npm test","explanation":"Run the tests","isBackground":false}' },
          // The same arguments, keys in another order.
          { id: `${id}_c__vscode-3`, name: 'read_file', arguments: '{"endLine":50,"startLine":1,"filePath":"/work/repo/a.ts"}' },
        ),
        summary: { toolCallRoundId: 'round_1', text: '<summary>Reading a.ts and running the tests.</summary>' },
      };
      const response = [
        { value: 'Let me look.' },
        toolInvocation({ callId: `${id}_a__vscode-1`, toolId: 'copilot_readFile' }),
        toolInvocation({ callId: `${id}_b__vscode-2`, toolId: 'run_in_terminal', terminal: { command: 'npm test', exitCode: 1, output: 'FAIL src/a.test.ts (3 failed)' } }),
        toolInvocation({ callId: `${id}_c__vscode-3`, toolId: 'copilot_readFile' }),
        { value: 'Fixed.' },
      ];
      return { ...copilotRequest({ id, ts, text: 'make the tests pass', response, metadata }), promptTokens: 48_000, completionTokens: 900 };
    }

    it('a session gives its folder, each request a turn, its tool calls with stable hashes, failures, summaries and context', () => {
      const dir = workspaceDir(scratch, 'a1b2c3', 'file:///work/repo');
      const session = { ...copilotSession(SID, [agentRequest('request_1', T)]), inputState: { selectedModel: { identifier: 'copilot/gpt-4.1', metadata: { maxInputTokens: 128_000 } } } };
      scratch.write(`${dir}/chatSessions/${SID}.json`, JSON.stringify(session));
      const events: ActivityEvent[] = [];
      agentsEngine(scratch, { agents: ['copilot-chat'], activity: events }).start();
      assert.deepEqual(events.map(activityLabel), [
        'session',
        'userTurn',
        'compaction',
        'toolCall:copilot_readFile:request_1_a__vscode-1',
        'toolCall:run_in_terminal:request_1_b__vscode-2',
        'toolError:run_in_terminal:request_1_b__vscode-2',
        'toolCall:copilot_readFile:request_1_c__vscode-3',
        'context',
      ]);
      assert.ok(events.every((e) => e.agent === 'copilot-chat' && e.sessionId === SID && e.timestamp === (e.kind === 'session' ? 1763600000000 : T)));
      const [session_, , , read1, terminal, , read2, context] = events;
      assert.ok(session_.kind === 'session' && read1.kind === 'toolCall' && read2.kind === 'toolCall' && terminal.kind === 'toolCall' && context.kind === 'context');
      assert.equal(session_.cwd, '/work/repo');
      assert.equal(read1.argsHash, read2.argsHash, 'equal arguments hash equal');
      assert.equal(read1.argsHash, stableHash(JSON.parse(READ)));
      assert.equal(terminal.argsHash, stableHash('npm test'), "a terminal call is its command line");
      assert.deepEqual([context.contextTokens, context.contextWindow], [48_000, 128_000]);
    });

    it('a running request emits calls in order as their arguments are recorded; a re-read emits nothing new', () => {
      const dir = workspaceDir(scratch, 'ws9', 'file:///work/repo');
      const file = `${dir}/chatSessions/${SID}.jsonl`;
      const first = copilotRequest({ id: 'request_1', ts: T, text: 'hi', metadata: { promptTokens: 900, outputTokens: 10 } });
      // Running: the terminal call has its command, the read has no arguments until the request ends.
      const running = {
        ...copilotRequest({ id: 'request_2', ts: T + 60_000, text: 'fix it', response: [toolInvocation({ callId: 'call_t1', toolId: 'run_in_terminal', terminal: { command: 'npm test' } }), toolInvocation({ callId: 'call_r1', toolId: 'copilot_readFile' }), toolInvocation({ callId: 'call_t2', toolId: 'run_in_terminal', terminal: { command: 'npm test' } })] }),
        result: undefined,
      };
      scratch.write(file, mutationLog(copilotSession(SID, [first, running])));
      const events: ActivityEvent[] = [];
      const engine = agentsEngine(scratch, { agents: ['copilot-chat'], activity: events });
      engine.start();
      assert.deepEqual(events.map(activityLabel), ['session', 'userTurn', 'context', 'userTurn', 'toolCall:run_in_terminal:call_t1'], 'the read waits, and the call after it');

      touch(scratch, file, T + 120_000);
      engine.refresh();
      assert.equal(events.length, 5, 'the same log again: nothing');

      // The first command fails; the request ends with the model's arguments in its result.
      scratch.append(file, `${JSON.stringify({ kind: 1, k: ['requests', 1, 'response', 0, 'toolSpecificData', 'terminalCommandState'], v: { exitCode: 2 } })}\n`);
      scratch.append(file, `${JSON.stringify({ kind: 1, k: ['requests', 1, 'result'], v: { metadata: { promptTokens: 7000, outputTokens: 70, toolCallRounds: rounds({ id: 'call_r1', name: 'read_file', arguments: READ }) } } })}\n`);
      engine.refresh();
      assert.deepEqual(events.slice(5).map(activityLabel), ['toolError:run_in_terminal:call_t1', 'toolCall:copilot_readFile:call_r1', 'toolCall:run_in_terminal:call_t2', 'context']);

      scratch.append(file, `${JSON.stringify({ kind: 2, k: ['requests'], v: [copilotRequest({ id: 'request_3', ts: T + 180_000, text: 'thanks', metadata: { promptTokens: 7100, outputTokens: 5 } })] })}\n`);
      engine.refresh();
      assert.deepEqual(events.slice(9).map((e) => [e.kind, e.timestamp]), [['userTurn', T + 180_000], ['context', T + 180_000]]);
    });

    it('MCP results marked as errors and tool result errors are failures; a window with no folder announces none', () => {
      const mcpInput = '{\n  "query": "flaky"\n}';
      const response = [
        toolInvocation({ callId: 'call_m1', toolId: 'mcp_github_search', mcp: { input: mcpInput, isError: true, output: 'rate limited until 10:42' } }),
        toolInvocation({ callId: 'call_e1', toolId: 'copilot_replaceString', resultError: 'String not found in file' }),
      ];
      const metadata = { toolCallRounds: rounds({ id: 'call_e1', name: 'replace_string_in_file', arguments: '{"filePath":"a.ts","oldString":"x","newString":"y"}' }) };
      scratch.write(`home/.config/Code/User/globalStorage/emptyWindowChatSessions/${SID}.json`, JSON.stringify(copilotSession(SID, [copilotRequest({ id: 'request_1', ts: T, text: 'search', response, metadata })])));
      const events: ActivityEvent[] = [];
      agentsEngine(scratch, { agents: ['copilot-chat'], activity: events }).start();
      assert.deepEqual(events.map(activityLabel), ['userTurn', 'toolCall:mcp_github_search:call_m1', 'toolError:mcp_github_search:call_m1', 'toolCall:copilot_replaceString:call_e1', 'toolError:copilot_replaceString:call_e1']);
      assert.ok(events[1].kind === 'toolCall' && events[1].argsHash === stableHash({ query: 'flaky' }));
    });

    it('with activity off nothing is emitted', () => {
      const dir = workspaceDir(scratch, 'a1b2c3', 'file:///work/repo');
      scratch.write(`${dir}/chatSessions/${SID}.json`, JSON.stringify(copilotSession(SID, [agentRequest('request_1', T)])));
      const events: ActivityEvent[] = [];
      const engine = quietEngine(scratch, 'copilot-chat', events);
      engine.start();
      assert.equal(events.length, 0);
      assert.equal(engine.ledger.summaries()[0].inputTokens, 5200);
    });
  });
});
