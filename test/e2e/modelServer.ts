/**
 * A scripted model server on 127.0.0.1 for the end-to-end tests. It speaks just enough of two
 * streaming wire formats for the real agent CLIs to run their real loop against it:
 *
 * - Anthropic Messages (`POST /v1/messages`, Server-Sent Events) for Claude Code;
 * - OpenAI Responses (`POST /v1/responses`, Server-Sent Events) for the Codex CLI.
 *
 * Every request is recorded with the usage the server replied, so a test can compute the exact
 * truth of what was billed and compare it with what the agent logged and the extension shows.
 * Usage numbers are derived from the reply's index: deterministic, and distinct per reply and per
 * field, so a swapped field, a dropped reply or a double-counted one changes the totals.
 */
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import { json, listenLoopback, readBody } from './loopback';

export type ScenarioName = 'normal' | 'runaway' | 'errorLoop' | 'idle' | 'largeContext';

/** One scripted reply of the main agent loop. */
export type Step =
  | { kind: 'tool'; command: string; text?: string }
  | { kind: 'text'; text: string };

export interface Scenario {
  name: string;
  /** Replies in order; the main-loop request after the last step gets a final text. */
  steps: Step[];
  /** Wait this long before answering each main-loop request (the "idle" scenario). */
  delayMs?: number;
  /** Report input usage above 200k tokens, to exercise long-context pricing. */
  largeContext?: boolean;
}

export interface AnthropicUsage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
  output_tokens: number;
}

export interface OpenAIUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export interface RecordedRequest {
  /** 1-based position among all requests the server received. */
  index: number;
  method: string;
  /** Path without the query string, e.g. `/v1/messages`. */
  path: string;
  api: 'anthropic' | 'openai' | 'other';
  /**
   * `main`: a turn of the agent loop (it carries the agent's tools) — these are the replies the
   * session log records. `side`: a billed request outside the loop (Claude Code's title/topic
   * generation, quota probes). `count`: token counting, not billed. `probe`: `HEAD /` and the like.
   */
  role: 'main' | 'side' | 'count' | 'probe';
  model?: string;
  /** Tool names the request offered. */
  tools: string[];
  body: unknown;
  /** What the server replied with. */
  reply?: { kind: 'tool'; tool: string; input: unknown } | { kind: 'text'; text: string };
  /** Usage reported in the reply (absent for unbilled requests). */
  anthropicUsage?: AnthropicUsage;
  openaiUsage?: OpenAIUsage;
  /** Ids the reply carried: Anthropic message id and `request-id` header, or OpenAI response id. */
  messageId?: string;
  requestId?: string;
  responseId?: string;
}

export interface ModelServer {
  url: string;
  port: number;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export interface ModelServerOptions {
  scenario: ScenarioName | Scenario;
  /** After this many POST requests every reply is a final text (end_turn), so no loop runs forever. */
  maxRequests?: number;
  /** Overrides the idle scenario's delay. */
  delayMs?: number;
}

/** 40: the longest scripted scenario needs 9 main turns; side requests add a few per run. */
const DEFAULT_MAX_REQUESTS = 40;
/** 3 s: long enough to be a visible gap in a log's timestamps, short enough for a test. */
const DEFAULT_IDLE_DELAY_MS = 3000;
const FINAL_TEXT = 'Done.';

export function scenario(name: ScenarioName): Scenario {
  switch (name) {
    case 'normal':
      return {
        name,
        steps: [{ kind: 'tool', command: 'echo hi > hello.txt', text: 'I will create the file.' }],
      };
    case 'runaway':
      return { name, steps: Array.from({ length: 8 }, (): Step => ({ kind: 'tool', command: 'ls' })) };
    case 'errorLoop':
      return {
        name,
        steps: Array.from({ length: 6 }, (): Step => ({ kind: 'tool', command: 'cat does-not-exist.txt' })),
      };
    case 'idle':
      return { ...scenario('normal'), name, delayMs: DEFAULT_IDLE_DELAY_MS };
    case 'largeContext':
      return { ...scenario('normal'), name, largeContext: true };
  }
}

/** Deterministic Anthropic usage for the n-th billed reply (1-based). Every field differs. */
export function anthropicUsageFor(n: number, large = false): AnthropicUsage {
  const fiveMinute = 1000 + 10 * n;
  const oneHour = 500 + 7 * n;
  return {
    input_tokens: (large ? 5000 : 100) + n,
    cache_creation_input_tokens: fiveMinute + oneHour,
    cache_read_input_tokens: (large ? 210_000 : 3000) + 100 * n,
    cache_creation: { ephemeral_5m_input_tokens: fiveMinute, ephemeral_1h_input_tokens: oneHour },
    output_tokens: 20 + 3 * n,
  };
}

/** Deterministic OpenAI usage for the n-th billed reply (1-based). Every field differs. */
export function openaiUsageFor(n: number, large = false): OpenAIUsage {
  const input = (large ? 250_000 : 2000) + 100 * n;
  const output = 50 + 3 * n;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: (large ? 200_000 : 1000) + 10 * n },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: 10 + n },
    total_tokens: input + output,
  };
}

/** Sums the usage the server replied, e.g. over the `main` requests a session log should hold. */
export function sumAnthropic(requests: RecordedRequest[]): {
  input: number; cacheCreation: number; cacheRead: number; output: number; replies: number;
} {
  const t = { input: 0, cacheCreation: 0, cacheRead: 0, output: 0, replies: 0 };
  for (const r of requests) {
    if (!r.anthropicUsage) continue;
    t.input += r.anthropicUsage.input_tokens;
    t.cacheCreation += r.anthropicUsage.cache_creation_input_tokens;
    t.cacheRead += r.anthropicUsage.cache_read_input_tokens;
    t.output += r.anthropicUsage.output_tokens;
    t.replies++;
  }
  return t;
}

export function sumOpenAI(requests: RecordedRequest[]): {
  input: number; cached: number; output: number; reasoning: number; total: number; replies: number;
} {
  const t = { input: 0, cached: 0, output: 0, reasoning: 0, total: 0, replies: 0 };
  for (const r of requests) {
    if (!r.openaiUsage) continue;
    t.input += r.openaiUsage.input_tokens;
    t.cached += r.openaiUsage.input_tokens_details.cached_tokens;
    t.output += r.openaiUsage.output_tokens;
    t.reasoning += r.openaiUsage.output_tokens_details.reasoning_tokens;
    t.total += r.openaiUsage.total_tokens;
    t.replies++;
  }
  return t;
}

/** Starts the server on 127.0.0.1 and a free port. */
export async function startModelServer(opts: ModelServerOptions): Promise<ModelServer> {
  const script = typeof opts.scenario === 'string' ? scenario(opts.scenario) : opts.scenario;
  const maxRequests = opts.maxRequests ?? DEFAULT_MAX_REQUESTS;
  const delayMs = opts.delayMs ?? script.delayMs ?? 0;
  const requests: RecordedRequest[] = [];
  // Real providers never reuse a message or request id; neither may two servers of one test run,
  // or the engine would rightly count their replies once.
  const tag = randomBytes(4).toString('hex');
  const newId = (prefix: string, n: number) => `${prefix}_am${tag}${pad(n)}`;
  let posts = 0;
  let billed = 0;
  const timers = new Set<NodeJS.Timeout>();

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => { timers.delete(t); resolve(); }, ms);
      timers.add(t);
    });

  const server = http.createServer((req, res) => {
    readBody(req, (raw) => {
      handle(req, res, raw).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { type: 'server_error', message: String(err) } }));
      });
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, raw: string): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    let body: unknown;
    try { body = raw ? JSON.parse(raw) : undefined; } catch { body = raw; }
    const b = (body ?? {}) as Record<string, unknown>;
    const rec: RecordedRequest = {
      index: requests.length + 1,
      method: req.method ?? 'GET',
      path,
      api: 'other',
      role: 'probe',
      model: typeof b.model === 'string' ? b.model : undefined,
      tools: Array.isArray(b.tools)
        ? (b.tools as Array<Record<string, unknown>>).map((t) => String(t.name ?? t.type ?? '')).filter(Boolean)
        : [],
      body,
    };
    requests.push(rec);

    if (req.method !== 'POST') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(req.method === 'HEAD' ? undefined : 'ok');
      return;
    }
    posts++;
    const exhausted = posts > maxRequests;

    if (path === '/v1/messages/count_tokens') {
      rec.api = 'anthropic';
      rec.role = 'count';
      json(res, 200, { input_tokens: Math.max(1, Math.round(raw.length / 4)) });
      return;
    }
    if (path === '/v1/messages') {
      rec.api = 'anthropic';
      rec.role = rec.tools.includes('Bash') ? 'main' : 'side';
      const step = rec.role === 'main' && !exhausted ? stepAt(script, countAnthropicTurns(b)) : undefined;
      if (rec.role === 'main' && delayMs > 0) await sleep(delayMs);
      replyAnthropic(res, rec, b, step);
      return;
    }
    if (path === '/v1/responses') {
      rec.api = 'openai';
      const shellTool = pickCodexShellTool(rec.tools);
      rec.role = shellTool ? 'main' : 'side';
      const step = shellTool && !exhausted ? stepAt(script, countOpenAITurns(b)) : undefined;
      if (rec.role === 'main' && delayMs > 0) await sleep(delayMs);
      replyOpenAI(res, rec, b, step, shellTool);
      return;
    }
    json(res, 404, { error: { type: 'not_found_error', message: `no route for ${path}` } });
  }

  function replyAnthropic(res: http.ServerResponse, rec: RecordedRequest, b: Record<string, unknown>, step: Step | undefined): void {
    const n = ++billed;
    const usage = anthropicUsageFor(n, !!script.largeContext && rec.role === 'main');
    const id = newId('msg', n);
    const requestId = newId('req', n);
    rec.anthropicUsage = usage;
    rec.messageId = id;
    rec.requestId = requestId;
    const model = rec.model ?? 'claude-sonnet-4-5-20250929';
    const blocks: Array<Record<string, unknown>> = [];
    let stopReason = 'end_turn';
    if (step?.kind === 'tool') {
      const input = { command: step.command, description: `Run ${step.command}` };
      if (step.text) blocks.push({ type: 'text', text: step.text });
      blocks.push({ type: 'tool_use', id: newId('toolu', n), name: 'Bash', input });
      stopReason = 'tool_use';
      rec.reply = { kind: 'tool', tool: 'Bash', input };
    } else {
      const text = step?.kind === 'text' ? step.text : rec.role === 'side' ? sideText(b) : FINAL_TEXT;
      blocks.push({ type: 'text', text });
      rec.reply = { kind: 'text', text };
    }

    if (b.stream !== true) {
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': requestId });
      res.end(JSON.stringify({
        id, type: 'message', role: 'assistant', model, content: blocks,
        stop_reason: stopReason, stop_sequence: null, usage: { ...usage, service_tier: 'standard' },
      }));
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'request-id': requestId,
    });
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    // Like the real API: message_start carries the input side and a provisional output count of 1;
    // message_delta carries the final output count.
    send('message_start', {
      type: 'message_start',
      message: {
        id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null,
        usage: { ...usage, output_tokens: 1, service_tier: 'standard' },
      },
    });
    blocks.forEach((block, index) => {
      if (block.type === 'text') {
        send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
        send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: block.text } });
      } else {
        send('content_block_start', {
          type: 'content_block_start', index,
          content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
        });
        const json = JSON.stringify(block.input);
        const cut = Math.floor(json.length / 2);
        for (const part of [json.slice(0, cut), json.slice(cut)]) {
          send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: part } });
        }
      }
      send('content_block_stop', { type: 'content_block_stop', index });
    });
    send('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: { output_tokens: usage.output_tokens },
    });
    send('message_stop', { type: 'message_stop' });
    res.end();
  }

  function replyOpenAI(
    res: http.ServerResponse, rec: RecordedRequest, b: Record<string, unknown>,
    step: Step | undefined, shellTool: string | undefined,
  ): void {
    const n = ++billed;
    const usage = openaiUsageFor(n, !!script.largeContext && rec.role === 'main');
    const id = newId('resp', n);
    rec.openaiUsage = usage;
    rec.responseId = id;
    const model = rec.model ?? 'gpt-5';
    const items: Array<Record<string, unknown>> = [];
    if (step?.kind === 'tool' && shellTool) {
      if (step.text) items.push(messageItem(newId('msg', n), step.text));
      const args = codexArguments(shellTool, step.command);
      items.push({
        type: 'function_call', id: `fc_am${pad(n)}`, status: 'completed',
        name: shellTool, call_id: newId('call', n), arguments: JSON.stringify(args),
      });
      rec.reply = { kind: 'tool', tool: shellTool, input: args };
    } else {
      const text = step?.kind === 'text' ? step.text : FINAL_TEXT;
      items.push(messageItem(newId('msg', n), text));
      rec.reply = { kind: 'text', text };
    }
    const response = (status: string, output: unknown[], u?: OpenAIUsage) => ({
      id, object: 'response', created_at: Math.floor(Date.now() / 1000), status, model, output,
      ...(u ? { usage: u } : {}),
    });
    if (b.stream === false) {
      json(res, 200, response('completed', items, usage));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-request-id': newId('req', n) });
    let seq = 0;
    const send = (type: string, data: Record<string, unknown>) =>
      res.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`);
    send('response.created', { response: response('in_progress', []) });
    items.forEach((item, output_index) => {
      const added = item.type === 'message' ? { ...item, status: 'in_progress', content: [] } : item;
      send('response.output_item.added', { output_index, item: added });
      if (item.type === 'message') {
        const text = ((item.content as Array<{ text: string }>)[0]).text;
        send('response.output_text.delta', { item_id: item.id, output_index, content_index: 0, delta: text });
      }
      send('response.output_item.done', { output_index, item });
    });
    send('response.completed', { response: response('completed', items, usage) });
    res.end();
  }

  return { ...(await listenLoopback(server, () => {
    for (const t of timers) clearTimeout(t);
    timers.clear();
  })), requests };
}

function stepAt(script: Scenario, turn: number): Step | undefined {
  return script.steps[turn];
}

/** The main loop's turn = assistant messages already in the conversation (stateless, retry-safe). */
function countAnthropicTurns(b: Record<string, unknown>): number {
  const messages = Array.isArray(b.messages) ? (b.messages as Array<{ role?: string }>) : [];
  return messages.filter((m) => m.role === 'assistant').length;
}

/** Codex resends the whole conversation; its turn = tool calls already in `input`. */
function countOpenAITurns(b: Record<string, unknown>): number {
  const input = Array.isArray(b.input) ? (b.input as Array<{ type?: string }>) : [];
  return input.filter((i) => i.type === 'function_call' || i.type === 'custom_tool_call' || i.type === 'local_shell_call').length;
}

/** Codex's shell tool has changed name across versions; use the one this request offers. */
const CODEX_SHELL_TOOLS = ['exec_command', 'shell_command', 'shell'];
function pickCodexShellTool(tools: string[]): string | undefined {
  return CODEX_SHELL_TOOLS.find((t) => tools.includes(t));
}

function codexArguments(tool: string, command: string): Record<string, unknown> {
  switch (tool) {
    case 'exec_command': return { cmd: command };
    case 'shell_command': return { command };
    default: return { command: ['bash', '-lc', command] };
  }
}

/** Claude Code's side requests (session title, topic) ask for short JSON or text; answer in kind. */
function sideText(b: Record<string, unknown>): string {
  const prompt = JSON.stringify(b.system ?? '') + JSON.stringify(b.messages ?? '');
  if (/json/i.test(prompt)) return JSON.stringify({ title: 'Scripted session', isNewTopic: false });
  return 'Scripted session';
}

function messageItem(id: string, text: string): Record<string, unknown> {
  return { type: 'message', id, status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] };
}

function pad(n: number): string {
  return String(n).padStart(4, '0');
}
