/**
 * A scripted OpenAI-compatible Chat Completions server on 127.0.0.1 for the OpenCode and Cline
 * end-to-end tests (both use the AI SDK's `@ai-sdk/openai-compatible` provider). It speaks just
 * enough of `POST /v1/chat/completions`:
 *
 * - `stream: true`: Server-Sent Events, `data: {choices:[{delta:{content|tool_calls}}]}` chunks, a
 *   chunk with `finish_reason`, then, when the request asks `stream_options.include_usage`, a final
 *   chunk with `usage` and empty `choices`, then `data: [DONE]`;
 * - otherwise one JSON `chat.completion` with `usage`.
 *
 * A request offering tools (`tools[].function.name`) is a turn of the agent loop (`main`), answered
 * by the scripted steps in order, then by a final text. A request without tools is `side` (e.g.
 * OpenCode's session-title call) and gets a short text. Every request is recorded with the usage
 * the server replied. Usage numbers are derived from the reply's index: deterministic, distinct per
 * reply and per field (all non-zero; reasoning inside completion as OpenAI counts it), so a swapped
 * field, a dropped reply or a double-counted one changes the totals.
 */
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import { json, listenLoopback } from './loopback';
import type { SessionSummary } from '../../src/core/ledger/ledger';

export type ChatStep =
  | { kind: 'tool'; name: string; args: Record<string, unknown>; text?: string }
  | { kind: 'text'; text: string };

/** OpenAI's usage, every field the AI SDK's openai-compatible provider reads. */
export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
  completion_tokens_details: { reasoning_tokens: number };
}

export interface ChatRecordedRequest {
  /** 1-based position among all requests the server received. */
  index: number;
  method: string;
  path: string;
  /** `main`: offers tools (a turn of the agent loop); `side`: a chat call without tools; `other`. */
  role: 'main' | 'side' | 'other';
  model?: string;
  stream: boolean;
  includeUsage: boolean;
  /** Function names the request offered. */
  tools: string[];
  body: unknown;
  reply?: { kind: 'tool'; tool: string; args: unknown; callId: string } | { kind: 'text'; text: string };
  /** Usage sent in the reply (absent when not sent: no reply, or a stream without include_usage). */
  usage?: ChatUsage;
  /** Usage of the reply whether it was sent or not (what a provider bills). */
  billed?: ChatUsage;
  responseId?: string;
}

export interface ChatServer {
  url: string;
  port: number;
  requests: ChatRecordedRequest[];
  close(): Promise<void>;
}

export interface ChatServerOptions {
  steps: ChatStep[];
  finalText?: string;
  /** After this many requests every reply is a 429 refusal without retry hints, so no loop runs forever. */
  maxRequests?: number;
}

/** 20: the scenario needs two main turns plus a title call or two. */
const DEFAULT_MAX_REQUESTS = 20;
/** 8 MiB: a request body larger than this is refused, so a runaway client cannot fill memory. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** Distinct, deterministic usage for the n-th reply (1-based): reasoning ⊂ completion, cached ⊂ prompt. */
export function usageFor(n: number): ChatUsage {
  const prompt = 1000 + 137 * n;
  const cached = 300 + 11 * n;
  const completion = 40 + 13 * n;
  const reasoning = 7 + 3 * n;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cached },
    completion_tokens_details: { reasoning_tokens: reasoning },
  };
}

/** Sums of the replied usage of some requests. */
export function sumChat(requests: ChatRecordedRequest[]): { prompt: number; completion: number; cached: number; reasoning: number; total: number; replies: number } {
  const t = { prompt: 0, completion: 0, cached: 0, reasoning: 0, total: 0, replies: 0 };
  for (const r of requests) {
    const u = r.usage;
    if (!u) continue;
    t.prompt += u.prompt_tokens;
    t.completion += u.completion_tokens;
    t.cached += u.prompt_tokens_details.cached_tokens;
    t.reasoning += u.completion_tokens_details.reasoning_tokens;
    t.total += u.total_tokens;
    t.replies++;
  }
  return t;
}

export async function startChatServer(o: ChatServerOptions): Promise<ChatServer> {
  const maxRequests = o.maxRequests ?? DEFAULT_MAX_REQUESTS;
  const requests: ChatRecordedRequest[] = [];
  let mainTurns = 0;
  let replies = 0;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => {
      const index = requests.length + 1;
      const urlPath = (req.url ?? '/').split('?')[0];
      let body: Record<string, unknown> = {};
      try { body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>; } catch { /* recorded as is */ }
      const rec: ChatRecordedRequest = {
        index, method: req.method ?? '', path: urlPath, role: 'other', stream: false, includeUsage: false, tools: [], body,
      };
      requests.push(rec);
      if (size > MAX_BODY_BYTES) return json(res, 413, { error: { message: 'request too large' } });
      if (index > maxRequests) return json(res, 429, { error: { message: `scripted server: more than ${maxRequests} requests` } });
      if (req.method !== 'POST' || !urlPath.endsWith('/chat/completions')) return json(res, 404, { error: { message: `no route ${req.method} ${urlPath}` } });

      const tools = Array.isArray(body.tools)
        ? (body.tools as Array<{ function?: { name?: unknown } }>).map((t) => t.function?.name).filter((n): n is string => typeof n === 'string')
        : [];
      rec.tools = tools;
      rec.model = typeof body.model === 'string' ? body.model : undefined;
      rec.stream = body.stream === true;
      rec.includeUsage = (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
      rec.role = tools.length > 0 ? 'main' : 'side';

      let reply: NonNullable<ChatRecordedRequest['reply']>;
      if (rec.role === 'main') {
        const step = o.steps[mainTurns++];
        if (step?.kind === 'tool' && tools.includes(step.name)) {
          reply = { kind: 'tool', tool: step.name, args: step.args, callId: `call_${index}_${randomBytes(4).toString('hex')}` };
        } else {
          reply = { kind: 'text', text: step?.kind === 'text' ? step.text : (o.finalText ?? 'Done.') };
        }
      } else {
        reply = { kind: 'text', text: 'Scripted title' };
      }
      const usage = usageFor(++replies);
      rec.reply = reply;
      rec.billed = usage;
      rec.responseId = `chatcmpl-${index}-${randomBytes(6).toString('hex')}`;
      const created = Math.floor(Date.now() / 1000);
      const base = { id: rec.responseId, object: 'chat.completion.chunk', created, model: rec.model ?? 'scripted' };
      const finish = reply.kind === 'tool' ? 'tool_calls' : 'stop';

      if (!rec.stream) {
        rec.usage = usage;
        const message = reply.kind === 'tool'
          ? { role: 'assistant', content: null, tool_calls: [{ id: reply.callId, type: 'function', function: { name: reply.tool, arguments: JSON.stringify(reply.args) } }] }
          : { role: 'assistant', content: reply.text };
        return json(res, 200, { ...base, object: 'chat.completion', choices: [{ index: 0, message, finish_reason: finish }], usage });
      }

      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      const send = (v: unknown) => res.write(`data: ${JSON.stringify(v)}\n\n`);
      send({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
      if (reply.kind === 'tool') {
        const args = JSON.stringify(reply.args);
        const half = Math.floor(args.length / 2);
        send({ ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: reply.callId, type: 'function', function: { name: reply.tool, arguments: args.slice(0, half) } }] }, finish_reason: null }] });
        send({ ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: args.slice(half) } }] }, finish_reason: null }] });
      } else {
        const words = reply.text.split(/(?<= )/);
        for (const w of words) send({ ...base, choices: [{ index: 0, delta: { content: w }, finish_reason: null }] });
      }
      send({ ...base, choices: [{ index: 0, delta: {}, finish_reason: finish }] });
      if (rec.includeUsage) {
        rec.usage = usage;
        send({ ...base, choices: [], usage });
      }
      res.end('data: [DONE]\n\n');
    });
  });

  return { ...(await listenLoopback(server)), requests };
}

/**
 * The engine's session totals against the usage the server replied to the loop: input without the
 * cached part, cached as cache reads, output = completion (reasoning included, as billed), and
 * `reasoning` the reasoning count the agent's log keeps apart (0 when it keeps none).
 */
export function assertChatUsage(s: SessionSummary, main: ChatRecordedRequest[], reasoning: 'logged' | 'not logged'): void {
  const t = sumChat(main);
  assert.deepEqual(
    {
      input: s.inputTokens, output: s.outputTokens, cacheRead: s.cacheReadTokens, cacheWrite: s.cacheCreationTokens,
      reasoning: s.reasoningOutputTokens, total: s.totalTokens, requests: s.requests,
    },
    {
      input: t.prompt - t.cached, output: t.completion, cacheRead: t.cached, cacheWrite: 0,
      reasoning: reasoning === 'logged' ? t.reasoning : 0, total: t.total, requests: t.replies,
    },
  );
}

