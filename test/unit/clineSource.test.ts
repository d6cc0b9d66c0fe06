import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { clineSdkSource } from '../../src/core/sources/cline/clineSdkSource';
import { pricingProvider } from '../../src/core/sources/cline/clineSource';
import type { ActivityEvent, ParseSink, Skip, UsageRecord } from '../../src/core/sources/types';
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

/** Cline ≥ 4's default session folder (`~/.cline/data/sessions`), relative to the scratch dir. */
const SESSIONS = 'home/.cline/data/sessions';
const S = '1784094124598_rruoq';

interface SdkMetrics {
  inputTokens?: unknown;
  outputTokens?: unknown;
  cacheReadTokens?: unknown;
  cacheWriteTokens?: unknown;
  cost?: number;
}

/** An assistant message as the Cline SDK persists it: per-call `metrics`, `modelInfo`, `ts`. */
function sdkAssistant(id: string, ts: number | undefined, metrics?: SdkMetrics, model?: { id: string; provider: string }): Record<string, unknown> {
  return {
    id,
    role: 'assistant',
    ...(ts !== undefined ? { ts } : {}),
    ...(model ? { modelInfo: { ...model, family: 'x' } } : {}),
    ...(metrics ? { metrics: { cacheReadTokens: 0, cacheWriteTokens: 0, ...metrics } } : {}),
    content: [{ type: 'text', text: 'ok' }],
  };
}

function sdkUser(id: string): Record<string, unknown> {
  return { id, role: 'user', content: [{ type: 'text', text: 'do it' }] };
}

/** `<session>/<session>.messages.json`, the document rewritten whole on every save; returns its path. */
function writeSdk(scratch: Scratch, messages: unknown[], session = S, dir = SESSIONS, file = `${session}.messages.json`): string {
  return scratch.write(`${dir}/${session}/${file}`, JSON.stringify({ version: 1, updated_at: '2026-07-15T05:42:10.000Z', agent: 'lead', sessionId: session, messages }, null, 2));
}

/** The SDK's content blocks (cline/cline `sdk/packages/shared/src/llms/messages.ts`). */
function toolUse(id: string, name: string, input: Record<string, unknown>): Record<string, unknown> {
  return { type: 'tool_use', id, name, input };
}

function toolResult(toolUseId: string, text: string, isError = false): Record<string, unknown> {
  return { type: 'tool_result', tool_use_id: toolUseId, content: [{ type: 'text', text }], ...(isError ? { is_error: true } : {}) };
}

/** The message with these blocks after its own (an assistant's tool calls follow its text). */
function withBlocks(message: Record<string, unknown>, ...blocks: unknown[]): Record<string, unknown> {
  return { ...message, content: [...(message.content as unknown[]), ...blocks] };
}

/** The user-role message the SDK appends with a call's results. */
function sdkResults(id: string, ...blocks: unknown[]): Record<string, unknown> {
  return { id, role: 'user', content: blocks };
}

/** Compaction's summary message (`sdk/packages/core/src/extensions/context/compaction-shared.ts` buildSummaryMessage). */
function sdkSummary(id: string, generatedAt: number): Record<string, unknown> {
  const summary = '## Goal\nFix the tests.';
  return { id, role: 'user', content: `Context summary:\n\n${summary}`, metadata: { kind: 'compaction_summary', summary, details: { readFiles: ['src/a.ts'], modifiedFiles: [] }, tokensBefore: 91000, generatedAt } };
}

function label(e: ActivityEvent): string {
  return e.kind === 'toolCall' || e.kind === 'toolError' ? `${e.kind}:${e.name}` : e.kind;
}

/** The session manifest `<session>/<session>.json`. */
function writeManifest(scratch: Scratch, fields: Record<string, unknown>, session = S, dir = SESSIONS): void {
  scratch.write(`${dir}/${session}/${session}.json`, JSON.stringify({ version: 1, session_id: session, source: 'cli', status: 'completed', ...fields }, null, 2));
}

const SONNET = { id: 'claude-sonnet-4-5-20250929', provider: 'anthropic' };
const GPT5 = { id: 'gpt-5', provider: 'openai-native' };

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

  it('Cline SDK sessions: inputTokens includes the cache, which is taken out; the model follows each message', () => {
    writeManifest(scratch, { cwd: '/work/sdk', workspace_root: '/work', model: 'mistralai/mixtral-8x22b-instruct', provider: 'cline' });
    writeSdk(scratch, [
      sdkUser('u1'),
      sdkAssistant('a1', NOV_2025, { inputTokens: 25012, outputTokens: 300, cacheReadTokens: 20000, cacheWriteTokens: 5000, cost: 0.05 }, SONNET),
      sdkUser('u2'),
      // The user switched models mid-session: this call is billed to OpenAI.
      sdkAssistant('a2', NOV_2025 + 1, { inputTokens: 1000, outputTokens: 20, cacheReadTokens: 800 }, GPT5),
    ]);
    const engine = agentsEngine(scratch, { agents: ['cline'] });
    const stats = engine.start();
    const [s] = engine.ledger.summaries();
    assert.deepEqual([s.agent, s.sessionId, s.cwd], ['cline', S, '/work/sdk']);
    assert.deepEqual([s.inputTokens, s.outputTokens, s.cacheCreationTokens, s.cacheReadTokens, s.requests], [12 + 200, 320, 5000, 20800, 2]);
    assert.deepEqual(s.models, ['claude-sonnet-4-5-20250929', 'gpt-5']);
    assert.deepEqual(s.unpricedModels, []);
    assert.deepEqual(stats.skips, []);
  });

  it('Cline SDK: an inputTokens below its cached part is already the remainder', () => {
    writeSdk(scratch, [sdkAssistant('a1', NOV_2025, { inputTokens: 21, outputTokens: 8, cacheReadTokens: 300, cacheWriteTokens: 100 }, SONNET)]);
    const engine = agentsEngine(scratch, { agents: ['cline'] });
    engine.start();
    const [s] = engine.ledger.summaries();
    assert.deepEqual([s.inputTokens, s.cacheReadTokens, s.cacheCreationTokens], [21, 300, 100]);
  });

  it('Cline SDK: messages without counts (mid-turn, zero usage) are not requests; the session model fills in, unpriced when unknown', () => {
    writeManifest(scratch, { cwd: '/w', model: 'mistralai/mixtral-8x22b-instruct', provider: 'cline' });
    writeSdk(scratch, [
      sdkUser('u1'),
      sdkAssistant('a0', NOV_2025 - 1), // no metrics: the call reported no usage (yet)
      sdkAssistant('a1', NOV_2025, { inputTokens: 0, outputTokens: 0 }), // usageDelta of nothing
      sdkAssistant('a2', NOV_2025 + 1, { inputTokens: 100, outputTokens: 10 }),
    ]);
    const engine = agentsEngine(scratch, { agents: ['cline'] });
    const stats = engine.start();
    const [s] = engine.ledger.summaries();
    assert.deepEqual([s.requests, s.inputTokens, s.outputTokens], [1, 100, 10]);
    assert.deepEqual(s.models, ['mistralai/mixtral-8x22b-instruct']);
    assert.equal(s.costUSD, null, 'a gateway model id the table does not list is unpriced');
    assert.deepEqual(stats.skips, []);
  });

  it('Cline SDK: a request filled in by a later rewrite is counted once, with its final counts', () => {
    writeSdk(scratch, [sdkUser('u1'), sdkAssistant('a1', undefined)]);
    const engine = agentsEngine(scratch, { agents: ['cline'] });
    engine.start();
    assert.equal(engine.ledger.summaries().length, 0);
    writeSdk(scratch, [sdkUser('u1'), sdkAssistant('a1', NOV_2025, { inputTokens: 50, outputTokens: 5 }, SONNET)]);
    engine.refresh();
    writeSdk(scratch, [sdkUser('u1'), sdkAssistant('a1', NOV_2025, { inputTokens: 50, outputTokens: 5 }, SONNET), sdkUser('u2')]);
    engine.refresh();
    const [s] = engine.ledger.summaries();
    assert.deepEqual([s.requests, s.totalTokens], [1, 55]);
  });

  it('Cline SDK: a malformed file and broken counts are skipped with a reason', () => {
    scratch.write(`${SESSIONS}/broken_1/broken_1.messages.json`, '{"version":1,"messages":[{"id":"a1","role":"assis');
    scratch.write(`${SESSIONS}/array_1/array_1.messages.json`, '[]');
    writeSdk(scratch, [
      sdkAssistant('a1', NOV_2025, { inputTokens: -5, outputTokens: 10 }, SONNET),
      sdkAssistant('a2', NOV_2025 + 1, { inputTokens: '12', outputTokens: 10 }, SONNET),
      sdkAssistant('a3', NOV_2025 + 2, { inputTokens: 12, outputTokens: 10 }, SONNET),
    ]);
    const engine = agentsEngine(scratch, { agents: ['cline'] });
    const stats = engine.start();
    const reasons = stats.skips.map((k: Skip) => k.reason).sort();
    assert.deepEqual(reasons, ['bad-usage', 'bad-usage', 'malformed-json', 'not-an-object']);
    const [s] = engine.ledger.summaries();
    assert.deepEqual([s.requests, s.inputTokens], [1, 12]);
  });

  it('Cline SDK: a resumed or forked session that copies its parent\'s messages counts them once', () => {
    const parent = [sdkUser('u1'), sdkAssistant('msg_a1', NOV_2025, { inputTokens: 1200, outputTokens: 40, cacheReadTokens: 1000 }, SONNET)];
    writeSdk(scratch, parent, '1784094053271_p8pzo');
    writeSdk(scratch, [...parent, sdkUser('u2'), sdkAssistant('msg_b1', NOV_2025 + 60_000, { inputTokens: 1500, outputTokens: 60, cacheReadTokens: 1200 }, SONNET)], S);
    const engine = agentsEngine(scratch, { agents: ['cline'] });
    engine.start();
    const byId = new Map(engine.ledger.summaries().map((s) => [s.sessionId, s]));
    assert.deepEqual([byId.get('1784094053271_p8pzo')?.requests, byId.get(S)?.requests], [1, 1]);
    const all = engine.ledger.summaries().reduce((n, s) => n + s.outputTokens, 0);
    assert.equal(all, 100);
  });

  it('Cline SDK: classic-shaped metrics copied in from a resumed task\'s API history are not counted again', () => {
    write(scratch, CLINE, [clineRequest(OCT_2025, { tokensIn: 10, tokensOut: 5 }, { providerId: 'anthropic', modelId: SONNET.id })]);
    writeSdk(scratch, [
      { role: 'assistant', ts: OCT_2025 + 5, content: [{ type: 'text', text: 'old' }], metrics: { tokens: { prompt: 10, completion: 5, cached: 0 }, cost: 0.001 } },
      sdkAssistant('a1', NOV_2025, { inputTokens: 70, outputTokens: 7 }, SONNET),
    ]);
    const engine = agentsEngine(scratch, { agents: ['cline'] });
    const stats = engine.start();
    const total = engine.ledger.summaries().reduce((n, s) => n + s.totalTokens, 0);
    assert.equal(total, 15 + 77);
    assert.deepEqual(stats.skips, []);
  });

  it('Cline SDK: sub-agent files beside the session count toward it; CLINE_SESSION_DATA_DIR moves the folder', () => {
    const dir = 'elsewhere/sessions';
    writeSdk(scratch, [sdkAssistant('a1', NOV_2025, { inputTokens: 10, outputTokens: 1 }, SONNET)], S, dir);
    writeSdk(scratch, [sdkAssistant('s1', NOV_2025 + 1, { inputTokens: 20, outputTokens: 2 }, SONNET)], S, dir, 'agent_x1.messages.json');
    writeSdk(scratch, [sdkAssistant('z1', NOV_2025, { inputTokens: 99, outputTokens: 9 }, SONNET)]); // the default folder is not read
    const engine = agentsEngine(scratch, { agents: ['cline'], vars: { CLINE_SESSION_DATA_DIR: `${scratch.dir}/${dir}` } });
    engine.start();
    const [s, ...rest] = engine.ledger.summaries();
    assert.deepEqual(rest, []);
    assert.deepEqual([s.sessionId, s.requests, s.totalTokens], [S, 2, 33]);
  });

  it('the extension\'s ui_messages.json copy of an SDK session is not counted next to the session', () => {
    writeSdk(scratch, [sdkAssistant('a1', NOV_2025, { inputTokens: 25012, outputTokens: 300, cacheReadTokens: 20000, cacheWriteTokens: 5000 }, SONNET)]);
    // What the SDK-based extension saves for the same session: the translator's own `ts`, the uncached remainder.
    write(scratch, CLINE, [clineSay(NOV_2025 + 7, 'task', 'fix it'), clineRequest(NOV_2025 + 9, { tokensIn: 12, tokensOut: 300, cacheWrites: 5000, cacheReads: 20000 })], S);
    const engine = agentsEngine(scratch, { agents: ['cline'] });
    engine.start();
    const [s, ...rest] = engine.ledger.summaries();
    assert.deepEqual(rest, []);
    assert.deepEqual([s.sessionId, s.requests, s.inputTokens], [S, 1, 12]);
  });

  it('Cline SDK activity: user turns, tool calls hashed by their arguments, errors named by their call, context per request, compaction', () => {
    writeManifest(scratch, { cwd: '/work/sdk' });
    writeSdk(scratch, [
      sdkUser('u1'), // no `ts`: older releases stamp assistant messages only
      withBlocks(sdkAssistant('a1', NOV_2025, { inputTokens: 1200, outputTokens: 40, cacheReadTokens: 1000 }, SONNET), toolUse('toolu_1', 'read_files', { files: [{ path: 'src/a.ts', start_line: 1 }] })),
      sdkResults('r1', toolResult('toolu_1', 'const a = 1;')),
      withBlocks(sdkAssistant('a2', NOV_2025 + 1, { inputTokens: 1300, outputTokens: 20, cacheReadTokens: 1200 }, SONNET), toolUse('toolu_2', 'run_commands', { commands: ['npm test'] })),
      sdkResults('r2', toolResult('toolu_2', 'Command failed with exit code 1 after 532ms', true)),
      // The same read again, its arguments in another order and spacing.
      withBlocks(sdkAssistant('a3', NOV_2025 + 2, { inputTokens: 1400, outputTokens: 30, cacheReadTokens: 1300 }, SONNET), toolUse('toolu_3', 'read_files', { files: [{ start_line: 1, path: ' src/a.ts ' }] })),
      sdkSummary('c1', NOV_2025 + 3),
      { id: 'u2', role: 'user', ts: NOV_2025 + 4, content: [{ type: 'text', text: 'now the docs' }] },
      // Messages Cline writes itself are not the user's: --yolo's completion reminder, a loop notice.
      { id: 'u3', role: 'user', ts: NOV_2025 + 5, content: [{ type: 'text', text: '[SYSTEM] This run is not complete until you call submit_and_exit.' }], metadata: { userRunSpan: 0 } },
      { id: 'u4', role: 'user', ts: NOV_2025 + 6, content: [{ type: 'text', text: 'You are repeating yourself.' }], metadata: { kind: 'loop_detection_notice' } },
    ]);
    const events: ActivityEvent[] = [];
    agentsEngine(scratch, { agents: ['cline'], activity: events }).start();
    assert.deepEqual(events.map(label), [
      'session', 'userTurn',
      'context', 'toolCall:read_files',
      'context', 'toolCall:run_commands', 'toolError:run_commands',
      'context', 'toolCall:read_files',
      'compaction', 'userTurn',
    ]);
    assert.ok(events.every((e) => e.agent === 'cline' && e.sessionId === S));
    const [session, turn] = events;
    assert.deepEqual([session.kind === 'session' && session.cwd, turn.timestamp], ['/work/sdk', NOV_2025], 'an unstamped message takes its neighbour\'s time');
    const calls = events.filter((e): e is Extract<ActivityEvent, { kind: 'toolCall' }> => e.kind === 'toolCall');
    assert.deepEqual(calls.map((c) => c.callId), ['toolu_1', 'toolu_2', 'toolu_3']);
    assert.equal(calls[0].argsHash, calls[2].argsHash);
    assert.notEqual(calls[0].argsHash, calls[1].argsHash);
    const error = events.find((e) => e.kind === 'toolError');
    assert.ok(error?.kind === 'toolError');
    assert.deepEqual([error.name, error.callId, error.timestamp], ['run_commands', 'toolu_2', NOV_2025 + 1]);
    const contexts = events.flatMap((e) => (e.kind === 'context' ? [e.contextTokens] : []));
    assert.deepEqual(contexts, [1240, 1320, 1430], 'the whole prompt, cache included, and the reply');
    assert.equal(events.find((e) => e.kind === 'compaction')?.timestamp, NOV_2025 + 3);
  });

  it('Cline SDK activity: a rewrite emits only what it adds, across a restart; a request filled in later adds its context', () => {
    writeManifest(scratch, { cwd: '/work/sdk' });
    const call = toolUse('toolu_1', 'run_commands', { commands: ['npm test'] });
    const u1 = sdkUser('u1');
    writeSdk(scratch, [u1, withBlocks(sdkAssistant('a1', undefined), call)]); // saved before the call's usage was stamped
    const events: ActivityEvent[] = [];
    const engine = agentsEngine(scratch, { agents: ['cline'], activity: events, state: true });
    engine.start();
    assert.deepEqual(events.map(label), ['session', 'userTurn', 'toolCall:run_commands']);
    const a1 = withBlocks(sdkAssistant('a1', NOV_2025, { inputTokens: 100, outputTokens: 10 }, SONNET), call);
    const failed = sdkResults('r1', toolResult('toolu_1', 'exit code 1', true));
    writeSdk(scratch, [u1, a1, failed]); // the result shares the call's time
    engine.refresh();
    assert.deepEqual(events.slice(3).map(label), ['context', 'toolError:run_commands']);
    engine.save();

    const after: ActivityEvent[] = [];
    const restarted = agentsEngine(scratch, { agents: ['cline'], activity: after, state: true });
    restarted.start();
    assert.deepEqual(after, [], 'an unchanged file is not read again');
    writeSdk(scratch, [u1, a1, failed, sdkUser('u2')]); // the same words as the first turn, one message more
    restarted.refresh();
    assert.deepEqual(after.map(label), ['userTurn']);
  });

  it('Cline SDK activity: a forked session does not report the messages it copied from its parent, with or without the parent\'s file', () => {
    const PARENT = '1784094053271_p8pzo';
    const parent = [
      sdkUser('u1'),
      withBlocks(sdkAssistant('a1', NOV_2025, { inputTokens: 100, outputTokens: 10 }, SONNET), toolUse('toolu_1', 'read_files', { file_paths: ['a.ts'] })),
      sdkResults('r1', toolResult('toolu_1', 'Command failed with exit code 1', true)),
    ];
    writeManifest(scratch, { cwd: '/work/parent' }, PARENT);
    writeSdk(scratch, parent, PARENT);
    // The fork copies the history (the SDK re-mints ids on the way), then goes on: its next user
    // message is unstamped, so it takes the time of the copied message before it.
    const copy = parent.map((m, i) => ({ ...m, id: `copy_${i}` }));
    const fork = [...copy, sdkUser('u2'), withBlocks(sdkAssistant('a2', NOV_2025 + 60_000, { inputTokens: 120, outputTokens: 12 }, SONNET), toolUse('toolu_2', 'run_commands', { commands: ['npm test'] }))];
    writeManifest(scratch, { cwd: '/work/fork', metadata: { fork: { forkedFromSessionId: PARENT, forkedAt: new Date(NOV_2025 + 30_000).toISOString(), source: 'cli' } } });
    writeSdk(scratch, fork);
    const ofSession = (events: ActivityEvent[], id: string) => events.filter((e) => e.sessionId === id).map(label);
    const events: ActivityEvent[] = [];
    agentsEngine(scratch, { agents: ['cline'], activity: events }).start();
    assert.deepEqual(ofSession(events, PARENT), ['session', 'userTurn', 'context', 'toolCall:read_files', 'toolError:read_files']);
    assert.deepEqual(ofSession(events, S), ['session', 'userTurn', 'context', 'toolCall:run_commands']);

    // The parent deleted: the copy ends with the last message stamped no later than the fork.
    fs.rmSync(`${scratch.dir}/${SESSIONS}/${PARENT}`, { recursive: true });
    const alone: ActivityEvent[] = [];
    agentsEngine(scratch, { agents: ['cline'], activity: alone }).start();
    assert.deepEqual(ofSession(alone, S), ['session', 'userTurn', 'context', 'toolCall:run_commands']);
    // Its usage was never in question: the copied request counts once, in the parent, while it exists.
    const tokens = agentsEngine(scratch, { agents: ['cline'] });
    tokens.start();
    assert.deepEqual(tokens.ledger.summaries().map((s) => [s.sessionId, s.requests]), [[S, 2]]);
  });

  it('Cline SDK activity: a history compacted into a summary emits the compaction and nothing it kept', () => {
    const next = { id: 'u2', role: 'user', ts: NOV_2025 + 1, content: [{ type: 'text', text: 'next' }] };
    writeSdk(scratch, [
      sdkUser('u1'),
      withBlocks(sdkAssistant('a1', NOV_2025, { inputTokens: 100, outputTokens: 10 }, SONNET), toolUse('toolu_1', 'read_files', { file_paths: ['a.ts'] })),
      sdkResults('r1', toolResult('toolu_1', 'x')),
      next,
    ]);
    const events: ActivityEvent[] = [];
    const engine = agentsEngine(scratch, { agents: ['cline'], activity: events });
    engine.start();
    assert.deepEqual(events.map(label), ['userTurn', 'context', 'toolCall:read_files', 'userTurn']);
    writeSdk(scratch, [sdkSummary('c1', NOV_2025 + 2), next, withBlocks(sdkAssistant('a2', NOV_2025 + 3, { inputTokens: 50, outputTokens: 5 }, SONNET), toolUse('toolu_2', 'read_files', { file_paths: ['b.ts'] }))]);
    engine.refresh();
    assert.deepEqual(events.slice(4).map(label), ['compaction', 'context', 'toolCall:read_files']);
  });

  it('Cline SDK: with activity off the parser emits no events and moves no watermark', () => {
    writeManifest(scratch, { cwd: '/work/sdk' });
    const file = writeSdk(scratch, [sdkUser('u1'), withBlocks(sdkAssistant('a1', NOV_2025, { inputTokens: 10, outputTokens: 1 }, SONNET), toolUse('toolu_1', 'read_files', { file_paths: ['a.ts'] }))]);
    const usage: UsageRecord[] = [];
    const events: ActivityEvent[] = [];
    const sink: ParseSink = { usage: (r) => usage.push(r), activity: (e) => events.push(e), skip: () => assert.fail('nothing to skip') };
    const buf = fs.readFileSync(file);
    const off = clineSdkSource.createParser(file, sink, { activity: false });
    assert.equal(off.parse(buf, buf.length, 0), buf.length);
    assert.deepEqual([usage.length, events.length], [1, 0]);
    // The file turns recent: its activity is all still to come, once.
    const on = clineSdkSource.createParser(file, sink, { activity: true }, off.saveState());
    on.parse(buf, buf.length, 0);
    assert.deepEqual(events.map(label), ['session', 'userTurn', 'context', 'toolCall:read_files']);
    const again = clineSdkSource.createParser(file, sink, { activity: true }, JSON.parse(JSON.stringify(on.saveState())));
    again.parse(buf, buf.length, 0);
    assert.equal(events.length, 4);
  });

  it('the extension\'s ui_messages.json copy of an SDK session adds no activity of its own', () => {
    writeManifest(scratch, { cwd: '/work/sdk' });
    writeSdk(scratch, [sdkUser('u1'), withBlocks(sdkAssistant('a1', NOV_2025, { inputTokens: 10, outputTokens: 1 }, SONNET), toolUse('toolu_1', 'read_files', { file_paths: ['a.ts'] }))]);
    write(scratch, CLINE, [clineSay(NOV_2025 + 7, 'task', 'do it'), clineAsk(NOV_2025 + 8, 'tool', JSON.stringify({ tool: 'readFile', path: 'a.ts' }))], S);
    const events: ActivityEvent[] = [];
    agentsEngine(scratch, { agents: ['cline'], activity: events }).start();
    assert.deepEqual(events.map(label), ['session', 'userTurn', 'context', 'toolCall:read_files']);
  });

  it('Cline\'s standalone tasks under CLINE_DATA_DIR/tasks are read; the same task in the editor folder counts once', () => {
    const data = 'cline-data';
    const messages = [clineRequest(NOV_2025, { tokensIn: 100, tokensOut: 10 }, { providerId: 'anthropic', modelId: SONNET.id })];
    write(scratch, `${data}/tasks`, messages);
    write(scratch, CLINE, messages);
    scratch.write(`${data}/state/taskHistory.json`, JSON.stringify([{ id: T, ts: NOV_2025, task: 'x', cwdOnTaskInitialization: '/work/jetbrains' }]));
    const engine = agentsEngine(scratch, { agents: ['cline'], vars: { CLINE_DATA_DIR: `${scratch.dir}/${data}` } });
    engine.start();
    const [s, ...rest] = engine.ledger.summaries();
    assert.deepEqual(rest, []);
    assert.deepEqual([s.requests, s.totalTokens], [1, 110]);
    assert.equal(engine.ledger.sessionCwd('cline', T), '/work/jetbrains', 'the working folder from <data dir>/state/taskHistory.json');
  });

  it('Cline\'s standalone tasks default to ~/.cline/data/tasks, CLINE_DIR moving the root', () => {
    write(scratch, 'home/.cline/data/tasks', [clineRequest(NOV_2025, { tokensIn: 1, tokensOut: 1 })], '1');
    write(scratch, 'alt/data/tasks', [clineRequest(NOV_2025, { tokensIn: 1, tokensOut: 1 })], '2');
    const plain = agentsEngine(scratch, { agents: ['cline'] });
    plain.start();
    assert.deepEqual(plain.ledger.summaries().map((s) => s.sessionId), ['1']);
    const moved = agentsEngine(scratch, { agents: ['cline'], vars: { CLINE_DIR: `${scratch.dir}/alt` } });
    moved.start();
    assert.deepEqual(moved.ledger.summaries().map((s) => s.sessionId), ['2']);
  });

  it('Roo Code and Kilo Code name no model: records are unknown and unpriced unless the request text names one', () => {
    write(scratch, ROO, [
      clineRequest(NOV_2025, { tokensIn: 25012, tokensOut: 300, cacheWrites: 5000, cacheReads: 20000, apiProtocol: 'anthropic' }),
      { ...clineRequest(NOV_2025 + 1, { tokensIn: 1000, tokensOut: 10, apiProtocol: 'openai' }), text: JSON.stringify({ apiProtocol: 'openai', model: 'gpt-5', tokensIn: 1000, tokensOut: 10 }) },
    ]);
    write(scratch, KILO, [clineRequest(NOV_2025, { tokensIn: 50, tokensOut: 5, apiProtocol: 'openai' })]);
    const engine = agentsEngine(scratch, { agents: ['roo-code', 'kilo-code'] });
    engine.start();
    const roo = engine.ledger.summaries().find((s) => s.agent === 'roo-code')!;
    const kilo = engine.ledger.summaries().find((s) => s.agent === 'kilo-code')!;
    assert.deepEqual(roo.models, ['gpt-5', 'unknown']);
    assert.deepEqual(roo.unpricedModels, ['unknown']);
    assert.deepEqual([kilo.models, kilo.costUSD], [['unknown'], null]);
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
