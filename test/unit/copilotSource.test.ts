import * as assert from 'node:assert/strict';
import { countTokens } from '../../src/core/estimate/tokenizer';
import type { Skip } from '../../src/core/sources/types';
import { agentsEngine } from './helpers/agents';
import { copilotRequest, copilotSession, mutationLog, workspaceDir } from './helpers/copilotFixtures';
import { Scratch } from './helpers/fixtures';

const T = Date.parse('2025-11-20T10:00:00Z');
const SID = '3f1c2b9a-7d4e-4c1a-9b2f-0e5d6c7b8a90';

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
});
