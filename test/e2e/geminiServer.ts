/**
 * A scripted Gemini API server on 127.0.0.1 for the Gemini CLI end-to-end test. It speaks just
 * enough of the Generative Language API (`/v1beta/models/<model>:<method>`) for the real
 * `@google/gemini-cli` to run its agent loop against it:
 *
 * - `:streamGenerateContent?alt=sse`: Server-Sent Events, `data: <GenerateContentResponse>` per
 *   chunk. A request offering the CLI's tools (`run_shell_command` among
 *   `tools[].functionDeclarations`) is a turn of the agent loop (`main`); the scripted steps answer
 *   it. Other streamed requests are `side`.
 * - `:generateContent`: one JSON reply. Gemini CLI sends these outside the loop (the model
 *   router's complexity classifier, next-speaker and loop checks); each asks for JSON through
 *   `generationConfig.responseJsonSchema`, which the reply fills. Billed by a real provider.
 * - `:countTokens`: `{ totalTokens }`, not billed.
 *
 * Every request is recorded with the usage the server replied. Usage numbers are derived from the
 * reply's index: deterministic, and distinct per reply and per field (every usageMetadata field is
 * non-zero), so a swapped field, a dropped reply or a double-counted one changes the totals.
 */
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import { json, listenLoopback, readBody } from './loopback';

export type GeminiScenarioName = 'normal' | 'runaway';

export type GeminiStep =
  | { kind: 'tool'; name: string; args: Record<string, unknown>; text?: string }
  | { kind: 'text'; text: string };

export interface GeminiScenario {
  name: string;
  /** Replies to the main loop in order; the main-loop request after the last step gets a final text. */
  steps: GeminiStep[];
}

/** The Gemini API's usageMetadata, every field the CLI records. */
export interface GeminiUsage {
  promptTokenCount: number;
  candidatesTokenCount: number;
  cachedContentTokenCount: number;
  thoughtsTokenCount: number;
  toolUsePromptTokenCount: number;
  totalTokenCount: number;
}

export interface GeminiRecordedRequest {
  /** 1-based position among all requests the server received. */
  index: number;
  method: string;
  /** Path without the query string, e.g. `/v1beta/models/gemini-2.5-pro:streamGenerateContent`. */
  path: string;
  query: string;
  /** `streamGenerateContent`, `generateContent`, `countTokens`, … (after the `:`). */
  rpc: string;
  model?: string;
  /** `main`: a turn of the agent loop; `side`: a billed call outside it; `count`: countTokens; `other`. */
  role: 'main' | 'side' | 'count' | 'other';
  /** Function names the request declared. */
  tools: string[];
  body: unknown;
  reply?: { kind: 'tool'; tool: string; args: unknown } | { kind: 'text'; text: string };
  /** Usage reported in the reply (absent for unbilled requests). */
  usage?: GeminiUsage;
  responseId?: string;
}

export interface GeminiServer {
  url: string;
  port: number;
  requests: GeminiRecordedRequest[];
  close(): Promise<void>;
}

export interface GeminiServerOptions {
  scenario: GeminiScenarioName | GeminiScenario;
  /** After this many POST requests every main reply is a final text, so no loop runs forever. */
  maxRequests?: number;
}

/** 40: the runaway scenario needs 7 main turns plus a few side calls per turn. */
const DEFAULT_MAX_REQUESTS = 40;
const FINAL_TEXT = 'Done.';
/** The tool whose presence marks the agent loop's requests (it is always offered). */
const LOOP_TOOL = 'run_shell_command';

export function geminiScenario(name: GeminiScenarioName): GeminiScenario {
  const shell = (command: string): GeminiStep => ({ kind: 'tool', name: LOOP_TOOL, args: { command, description: `Run ${command}` } });
  switch (name) {
    case 'normal':
      return { name, steps: [{ ...shell('echo hi > hello.txt'), text: 'I will create the file.' }] };
    case 'runaway':
      return { name, steps: Array.from({ length: 6 }, () => shell('ls')) };
  }
}

/** Deterministic usage for the n-th billed reply (1-based). Every field differs and is non-zero. */
export function geminiUsageFor(n: number): GeminiUsage {
  const prompt = 4000 + 100 * n;
  const candidates = 30 + 3 * n;
  const thoughts = 11 + 2 * n;
  const tool = 17 + n;
  return {
    promptTokenCount: prompt,
    candidatesTokenCount: candidates,
    cachedContentTokenCount: 1000 + 10 * n,
    thoughtsTokenCount: thoughts,
    toolUsePromptTokenCount: tool,
    totalTokenCount: prompt + candidates + thoughts + tool,
  };
}

export interface GeminiTotals {
  prompt: number;
  cached: number;
  candidates: number;
  thoughts: number;
  tool: number;
  total: number;
  replies: number;
}

export function sumGemini(requests: GeminiRecordedRequest[]): GeminiTotals {
  const t: GeminiTotals = { prompt: 0, cached: 0, candidates: 0, thoughts: 0, tool: 0, total: 0, replies: 0 };
  for (const r of requests) {
    if (!r.usage) continue;
    t.prompt += r.usage.promptTokenCount;
    t.cached += r.usage.cachedContentTokenCount;
    t.candidates += r.usage.candidatesTokenCount;
    t.thoughts += r.usage.thoughtsTokenCount;
    t.tool += r.usage.toolUsePromptTokenCount;
    t.total += r.usage.totalTokenCount;
    t.replies++;
  }
  return t;
}

/** Starts the server on 127.0.0.1 and a free port. */
export async function startGeminiServer(opts: GeminiServerOptions): Promise<GeminiServer> {
  const script = typeof opts.scenario === 'string' ? geminiScenario(opts.scenario) : opts.scenario;
  const maxRequests = opts.maxRequests ?? DEFAULT_MAX_REQUESTS;
  const requests: GeminiRecordedRequest[] = [];
  // Real responses never share an id; neither may two servers of one test run.
  const tag = randomBytes(4).toString('hex');
  let posts = 0;
  let billed = 0;

  const server = http.createServer((req, res) => {
    readBody(req, (raw) => {
      try {
        handle(req, res, raw);
      } catch (err) {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 500, status: 'INTERNAL', message: String(err) } }));
      }
    });
  });

  function handle(req: http.IncomingMessage, res: http.ServerResponse, raw: string): void {
    const [path, query = ''] = (req.url ?? '/').split('?');
    let body: unknown;
    try { body = raw ? JSON.parse(raw) : undefined; } catch { body = raw; }
    const b = (body ?? {}) as Record<string, unknown>;
    const m = /\/models\/([^/:]+):([A-Za-z]+)$/.exec(path);
    const rec: GeminiRecordedRequest = {
      index: requests.length + 1,
      method: req.method ?? 'GET',
      path,
      query,
      rpc: m?.[2] ?? '',
      model: m?.[1],
      role: 'other',
      tools: declaredFunctions(b),
      body,
    };
    requests.push(rec);
    if (req.method !== 'POST' || !m) {
      json(res, 404, { error: { code: 404, status: 'NOT_FOUND', message: `no route for ${req.method} ${path}` } });
      return;
    }
    posts++;
    if (rec.rpc === 'countTokens') {
      rec.role = 'count';
      json(res, 200, { totalTokens: Math.max(1, Math.round(raw.length / 4)) });
      return;
    }
    if (rec.rpc === 'streamGenerateContent') {
      rec.role = rec.tools.includes(LOOP_TOOL) ? 'main' : 'side';
      const step = rec.role === 'main' && posts <= maxRequests ? script.steps[countTurns(b)] : undefined;
      const parts = replyParts(rec, b, step);
      const n = ++billed;
      const usage = geminiUsageFor(n);
      rec.usage = usage;
      rec.responseId = `am${tag}${String(n).padStart(4, '0')}`;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      // Like the real API: every chunk carries usageMetadata, the early ones provisional (prompt
      // only), the last one final with the finishReason; the CLI must keep the last.
      const chunk = (p: unknown[], u: Partial<GeminiUsage>, finish?: string) =>
        res.write(`data: ${JSON.stringify({
          candidates: [{ content: { role: 'model', parts: p }, index: 0, ...(finish ? { finishReason: finish } : {}) }],
          usageMetadata: u,
          modelVersion: rec.model,
          responseId: rec.responseId,
        })}\r\n\r\n`);
      const provisional = { promptTokenCount: usage.promptTokenCount, totalTokenCount: usage.promptTokenCount };
      const last = parts[parts.length - 1] as { text?: string };
      if (parts.length === 1 && typeof last.text === 'string' && last.text.length > 1) {
        const cut = Math.floor(last.text.length / 2);
        chunk([{ text: last.text.slice(0, cut) }], provisional);
        chunk([{ text: last.text.slice(cut) }], usage, 'STOP');
      } else {
        if (parts.length > 1) chunk(parts.slice(0, -1), provisional);
        chunk(parts.slice(-1), usage, 'STOP');
      }
      res.end();
      return;
    }
    if (rec.rpc === 'generateContent') {
      rec.role = 'side';
      const parts = replyParts(rec, b, undefined);
      const n = ++billed;
      rec.usage = geminiUsageFor(n);
      rec.responseId = `am${tag}${String(n).padStart(4, '0')}`;
      json(res, 200, {
        candidates: [{ content: { role: 'model', parts }, index: 0, finishReason: 'STOP' }],
        usageMetadata: rec.usage,
        modelVersion: rec.model,
        responseId: rec.responseId,
      });
      return;
    }
    json(res, 404, { error: { code: 404, status: 'NOT_FOUND', message: `no method ${rec.rpc}` } });
  }

  function replyParts(rec: GeminiRecordedRequest, b: Record<string, unknown>, step: GeminiStep | undefined): unknown[] {
    if (step?.kind === 'tool') {
      rec.reply = { kind: 'tool', tool: step.name, args: step.args };
      return [...(step.text ? [{ text: step.text }] : []), { functionCall: { name: step.name, args: step.args } }];
    }
    const schema = (b.generationConfig as { responseJsonSchema?: unknown; responseSchema?: unknown } | undefined);
    const wanted = schema?.responseJsonSchema ?? schema?.responseSchema;
    const text = step?.kind === 'text' ? step.text : wanted ? JSON.stringify(fillSchema(wanted, '')) : FINAL_TEXT;
    rec.reply = { kind: 'text', text };
    return [{ text }];
  }

  return { ...(await listenLoopback(server)), requests };
}

function declaredFunctions(b: Record<string, unknown>): string[] {
  const tools = Array.isArray(b.tools) ? (b.tools as Array<{ functionDeclarations?: Array<{ name?: string }> }>) : [];
  return tools.flatMap((t) => (t.functionDeclarations ?? []).map((f) => String(f.name ?? ''))).filter(Boolean);
}

/** The loop's turn = function calls already in the conversation (stateless, retry-safe). */
function countTurns(b: Record<string, unknown>): number {
  const contents = Array.isArray(b.contents) ? (b.contents as Array<{ role?: string; parts?: Array<Record<string, unknown>> }>) : [];
  return contents.filter((c) => c.role === 'model').flatMap((c) => c.parts ?? []).filter((p) => p.functionCall).length;
}

/**
 * A value for a side call's JSON schema: the first enum value (next speaker: "user"), 0 for a
 * confidence (no loop), a mid score otherwise, "scripted" for text. Depth-bounded.
 */
function fillSchema(schema: unknown, name: string, depth = 0): unknown {
  const s = (schema ?? {}) as { type?: string | string[]; enum?: unknown[]; properties?: Record<string, unknown>; items?: unknown };
  if (Array.isArray(s.enum) && s.enum.length) return s.enum[0];
  const type = String(Array.isArray(s.type) ? s.type[0] : s.type ?? 'string').toLowerCase();
  if (depth > 8) return null;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(s.properties ?? {})) out[k] = fillSchema(v, k, depth + 1);
      return out;
    }
    case 'array': return [];
    case 'integer':
    case 'number': return /confidence|probab/i.test(name) ? 0 : 10;
    case 'boolean': return false;
    default: return 'scripted';
  }
}

