import * as assert from 'node:assert/strict';
import { pricingProvider } from '../../src/core/sources/cline/clineSource';
import type { ActivityEvent } from '../../src/core/sources/types';
import { agentsEngine, clineAsk, clineRequest, clineSay, tasksDir } from './helpers/agents';
import { Scratch } from './helpers/fixtures';

const CLINE = tasksDir('saoudrizwan.claude-dev');
const ROO = tasksDir('rooveterinaryinc.roo-cline', 'Cursor');
const KILO = tasksDir('kilocode.kilo-code', 'VSCodium');
const T = '1761900000000';
const NOV_2025 = Date.parse('2025-11-20T10:00:00Z');
const OCT_2025 = Date.parse('2025-10-20T10:00:00Z');

function write(scratch: Scratch, dir: string, messages: unknown[], task = T): void {
  scratch.write(`${dir}/${task}/ui_messages.json`, JSON.stringify(messages));
}

describe('Cline-family sources', () => {
  let scratch: Scratch;
  beforeEach(() => (scratch = new Scratch()));
  afterEach(() => scratch.dispose());

  it('Cline: tokensIn is the uncached remainder; placeholders are skipped; deleted requests count', () => {
    const anthropic = { providerId: 'anthropic', modelId: 'claude-sonnet-4-5-20250929' };
    write(scratch, CLINE, [
      clineSay(NOV_2025, 'text', 'fix the bug'),
      clineRequest(NOV_2025 + 1, { tokensIn: 12, tokensOut: 300, cacheWrites: 5000, cacheReads: 20000, cost: 0.05 }, anthropic),
      clineRequest(NOV_2025 + 2, {}, anthropic), // placeholder: the stream has not ended
      clineSay(NOV_2025 + 3, 'deleted_api_reqs', JSON.stringify({ tokensIn: 7, tokensOut: 3, cacheWrites: 0, cacheReads: 0, cost: 0.0001 })),
    ]);
    const engine = agentsEngine(scratch, { agents: ['cline'] });
    engine.start();
    const [s] = engine.ledger.summaries();
    assert.deepEqual([s.agent, s.sessionId], ['cline', T]);
    assert.deepEqual([s.inputTokens, s.outputTokens, s.cacheCreationTokens, s.cacheReadTokens, s.requests], [19, 303, 5000, 20000, 2]);
    assert.ok(s.costUSD !== null && s.costUSD > 0);
  });

  it('Cline: OpenAI-compatible providers report the whole prompt, so the cache is taken out', () => {
    write(scratch, CLINE, [clineRequest(NOV_2025, { tokensIn: 10000, tokensOut: 100, cacheWrites: 0, cacheReads: 8000 }, { providerId: 'openai', modelId: 'my-local-model' })]);
    const engine = agentsEngine(scratch, { agents: ['cline'] });
    engine.start();
    const [s] = engine.ledger.summaries();
    assert.deepEqual([s.inputTokens, s.cacheReadTokens], [2000, 8000]);
    assert.equal(s.costUSD, null, 'an OpenAI-compatible endpoint with an unknown model is unpriced');
  });

  it('Cline: the model and provider come from task_metadata.json when the message lacks them', () => {
    write(scratch, CLINE, [clineRequest(NOV_2025, { tokensIn: 100, tokensOut: 10 })]);
    scratch.write(`${CLINE}/${T}/task_metadata.json`, JSON.stringify({ files_in_context: [], model_usage: [{ ts: NOV_2025 - 5, model_id: 'gpt-5', model_provider_id: 'openai-native', mode: 'act' }] }));
    scratch.write(`${CLINE}/../state/taskHistory.json`, JSON.stringify([{ id: T, ts: NOV_2025, task: 'x', cwdOnTaskInitialization: '/work/repo' }]));
    const engine = agentsEngine(scratch, { agents: ['cline'] });
    engine.start();
    const [s] = engine.ledger.summaries();
    assert.deepEqual([s.models, s.cwd], [['gpt-5'], '/work/repo']);
    assert.ok(s.costUSD !== null && s.costUSD > 0, 'openai-native bills OpenAI list prices');
  });

  it('Roo Code ≥ 3.29.5 writes the whole prompt for every protocol', () => {
    write(scratch, ROO, [clineRequest(NOV_2025, { tokensIn: 25012, tokensOut: 300, cacheWrites: 5000, cacheReads: 20000, apiProtocol: 'anthropic' })]);
    scratch.write(`${ROO}/${T}/history_item.json`, JSON.stringify({ id: T, workspace: '/work/roo' }));
    const engine = agentsEngine(scratch, { agents: ['roo-code'] });
    engine.start();
    const [s] = engine.ledger.summaries();
    assert.deepEqual([s.agent, s.inputTokens, s.cacheCreationTokens, s.cacheReadTokens, s.cwd], ['roo-code', 12, 5000, 20000, '/work/roo']);
  });

  it('Roo Code before 3.29.5 wrote the uncached remainder for Anthropic-protocol calls, the total for OpenAI', () => {
    write(scratch, ROO, [
      clineRequest(OCT_2025, { tokensIn: 30000, tokensOut: 300, cacheWrites: 0, cacheReads: 20000, apiProtocol: 'anthropic' }),
      clineRequest(OCT_2025 + 1, { tokensIn: 30000, tokensOut: 300, cacheWrites: 0, cacheReads: 20000, apiProtocol: 'openai' }),
    ]);
    const engine = agentsEngine(scratch, { agents: ['roo-code'] });
    engine.start();
    const [s] = engine.ledger.summaries();
    assert.equal(s.inputTokens, 30000 + 10000);
  });

  it('a tokensIn below its cached part is always the remainder (Kilo Code)', () => {
    write(scratch, KILO, [clineRequest(NOV_2025, { tokensIn: 12, tokensOut: 5, cacheWrites: 100, cacheReads: 2000, apiProtocol: 'anthropic' })]);
    const engine = agentsEngine(scratch, { agents: ['kilo-code'] });
    engine.start();
    const [s] = engine.ledger.summaries();
    assert.deepEqual([s.agent, s.inputTokens], ['kilo-code', 12]);
  });

  it('a request filled in by a later rewrite replaces its placeholder and is counted once', () => {
    write(scratch, CLINE, [clineRequest(NOV_2025, {})]);
    const engine = agentsEngine(scratch, { agents: ['cline'] });
    engine.start();
    assert.equal(engine.ledger.summaries().length, 0);
    write(scratch, CLINE, [clineRequest(NOV_2025, { tokensIn: 10, tokensOut: 5 })]);
    engine.refresh();
    write(scratch, CLINE, [clineRequest(NOV_2025, { tokensIn: 10, tokensOut: 5 }), clineSay(NOV_2025 + 1, 'text', 'done')]);
    engine.refresh();
    const [s] = engine.ledger.summaries();
    assert.deepEqual([s.totalTokens, s.requests], [15, 1]);
  });

  it('emits tool calls, commands and errors once across rewrites, and none from partial messages', () => {
    const events: ActivityEvent[] = [];
    const base = [
      clineSay(NOV_2025, 'text', 'add tests'),
      clineAsk(NOV_2025 + 1, 'tool', JSON.stringify({ tool: 'readFile', path: 'src/a.ts' })),
      clineAsk(NOV_2025 + 2, 'command', 'npm test'),
    ];
    write(scratch, CLINE, [...base, clineSay(NOV_2025 + 3, 'error', 'boom', { partial: true })]);
    const engine = agentsEngine(scratch, { agents: ['cline'], activity: events });
    engine.start();
    write(scratch, CLINE, [...base, clineSay(NOV_2025 + 3, 'error', 'boom'), clineSay(NOV_2025 + 4, 'user_feedback', 'again')]);
    engine.refresh();
    assert.deepEqual(events.map((e) => (e.kind === 'toolCall' ? `toolCall:${e.name}` : e.kind)), ['userTurn', 'toolCall:readFile', 'toolCall:execute_command', 'toolError', 'userTurn']);
  });

  it('finds tasks in every supported editor and platform folder', () => {
    const msg = [clineRequest(NOV_2025, { tokensIn: 1, tokensOut: 1 })];
    scratch.write(`home/Library/Application Support/Windsurf/User/globalStorage/saoudrizwan.claude-dev/tasks/1/ui_messages.json`, JSON.stringify(msg));
    scratch.write(`appdata/Code - Insiders/User/globalStorage/saoudrizwan.claude-dev/tasks/2/ui_messages.json`, JSON.stringify(msg));
    scratch.write(`${CLINE}/3/ui_messages.json`, JSON.stringify(msg));
    scratch.write(`${CLINE}/3/api_conversation_history.json`, '[]');
    const engine = agentsEngine(scratch, { agents: ['cline'], vars: { APPDATA: `${scratch.dir}/appdata` } });
    engine.start();
    assert.deepEqual(engine.ledger.summaries().map((s) => s.sessionId).sort(), ['1', '2', '3']);
  });

  it('infers a pricing provider only from an exact model id of the price table', () => {
    assert.equal(pricingProvider(undefined, 'gpt-5'), 'openai');
    assert.equal(pricingProvider(undefined, 'claude-sonnet-4-5'), undefined, 'listed by anthropic and by google (Vertex): ambiguous');
    assert.equal(pricingProvider('anthropic', 'claude-sonnet-4-5'), 'anthropic');
    assert.equal(pricingProvider('openrouter', 'anthropic/claude-sonnet-4.5'), undefined);
    assert.equal(pricingProvider('bedrock', 'anthropic.claude-sonnet-4-5-20250929-v1:0'), undefined);
    assert.equal(pricingProvider('gemini', 'gemini-2.5-pro'), 'google');
  });
});
