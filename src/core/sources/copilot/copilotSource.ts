import fs = require('node:fs');
import path = require('node:path');
import { fileURLToPath } from 'node:url';
import { editorUserDirs, globalStorageDirs } from '../cline/clineSource';
import type { AgentSource, FileParser, ParserOptions, SourceEnv } from '../source';
import type { ParseSink } from '../types';
import { requestActivity, type RequestContext } from './activity';
import { count, isRecord, num, obj, str } from '../../util/json';
import { parseDocument } from '../document';

/**
 * GitHub Copilot Chat in VS Code-family editors. The editor itself (not the extension) stores each
 * chat session under `<user dir>/User/workspaceStorage/<workspace id>/chatSessions/`, and chats of a
 * window with no folder under `User/globalStorage/emptyWindowChatSessions/`, in two formats:
 * - `<sessionId>.json`: one ISerializableChatData document (`requests[]`) rewritten whole;
 * - `<sessionId>.jsonl` (newer editors): an ObjectMutationLog (vscode `chat/common/model/
 *   objectMutationLog.ts`): a `{"kind":0,"v":…}` line with the whole session, then `kind` 1 (set
 *   the value at path `k`), 2 (push `v` onto the array at `k`, first cutting it to `i` when given)
 *   and 3 (delete `k`). The editor rewrites it whole after 512 entries, so it is read as a
 *   document too (re-read whole on change), not by byte offset.
 *
 * Counts. One chat request runs a tool-calling loop (vscode-copilot-chat
 * `src/extension/intents/node/toolCallingLoop.ts` `_runLoop`/`runOne`): one model call per
 * iteration, each pushed as a round onto `result.metadata.toolCallRounds` (`IToolCallRound`,
 * `src/extension/prompt/common/intents.ts`), failed calls included (an empty round), written with
 * the result when the request ends (`prompt/node/defaultIntentRequestHandler.ts`).
 * - `result.metadata.promptTokens` / `outputTokens` come from `AnthropicTokenUsageMetadata`
 *   (`prompt/common/conversation.ts`), set after every successful call of a Claude-family model
 *   only, and the handler's `resultWithMetadatas` keeps the LAST one (`Turn.getMetadata` is
 *   `.at(-1)`): the provider's billed `prompt_tokens` (input + cache writes + cache reads on the
 *   Messages API, `platform/endpoint/node/messagesApi.ts`) and `completion_tokens` of the last
 *   model call, not a sum over the request, and not a local tokenization.
 * - Some extension versions put the call's own `usage` (`APIUsage`, `platform/networking/common/
 *   openai.ts`: `prompt_tokens`, `completion_tokens`, `prompt_tokens_details.cached_tokens`,
 *   `completion_tokens_details.reasoning_tokens`) on each round (`IToolCallRound.usage`, present
 *   in one stored version of `intents.ts`/`toolCallRound.ts`, gone again in later ones, which
 *   keep only the reasoning count as `thinking.tokens`).
 * - The rounds are the main loop's calls only: retries inside the fetcher, conversation
 *   summarization calls, subagent loops (`runSubagent`, search subagents) and, for a subagent
 *   whose stop hook re-runs it, the earlier runs are not in the list; a request that failed with
 *   an exception keeps no rounds.
 * - vscode's own `promptTokens` / `completionTokens` on the serialized request (`chatModel.ts`
 *   `ChatResponseModel.toJSON`) are the latest call's prompt and a running sum of completions;
 *   they are left to the context event (`activity.ts`).
 * So: rounds with usage give one record per round (`copilot:<sessionId>:<requestId>:<round id>`,
 * input = prompt − cached, cache read = cached, output = completion, reasoning inside it), and
 * the request-level counts are then ignored; a request with no round usage gives one record
 * (`copilot:<sessionId>:<requestId>`) from `promptTokens` / `outputTokens` as logged, exact for a
 * single call, but only the last call of a multi-round request, which is therefore marked
 * `estimated` (a lower bound); a request without them is estimated with o200k_base over its message and response text and marked `estimated`. Copilot
 * bills by subscription: no provider, so unpriced.
 * Activity (turns, tool calls and failures, summaries, context) comes from the same requests: see
 * `activity.ts`.
 */
function workspaceRoots(env: SourceEnv): string[] {
  return editorUserDirs(env).map((dir) => path.join(dir, 'User', 'workspaceStorage'));
}

/** `<workspace id>/chatSessions/<sessionId>.json[l]` below `User/workspaceStorage`. */
export const copilotWorkspaceSource: AgentSource = {
  agent: 'copilot-chat',
  mode: 'document',
  roots: workspaceRoots,
  isLogFile(relativePath: string): boolean {
    const parts = relativePath.split(/[\\/]/);
    return parts.length === 3 && parts[1] === 'chatSessions' && /\.jsonl?$/.test(parts[2]);
  },
  // Each workspace's folder also holds every other extension's data: enter only chatSessions.
  descend(relativeFolder: string): boolean {
    const parts = relativeFolder.split(/[\\/]/);
    return parts.length === 1 || (parts.length === 2 && parts[1] === 'chatSessions');
  },
  createParser(file, sink, options, saved) {
    return new CopilotParser(file, sink, options, saved as CopilotState | undefined, workspaceFolder(path.join(path.dirname(path.dirname(file)), 'workspace.json')));
  },
};

/** `<sessionId>.json[l]` below `User/globalStorage/emptyWindowChatSessions` (no folder open). */
export const copilotEmptyWindowSource: AgentSource = {
  agent: 'copilot-chat',
  mode: 'document',
  roots: (env) => globalStorageDirs(env, 'emptyWindowChatSessions'),
  isLogFile: (relativePath) => !/[\\/]/.test(relativePath) && /\.jsonl?$/.test(relativePath),
  descend: () => false,
  createParser(file, sink, options, saved) {
    return new CopilotParser(file, sink, options, saved as CopilotState | undefined, undefined);
  },
};

/**
 * The folder of a workspaceStorage entry: its `workspace.json` holds `folder` (a URI), or for a
 * multi-root window `workspace` (the `.code-workspace` file, whose folder is used). Remote URIs
 * (`vscode-remote://…`) name no local folder: undefined.
 */
export function workspaceFolder(file: string): string | undefined {
  let doc: { folder?: unknown; workspace?: unknown };
  try {
    doc = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof doc;
  } catch {
    return undefined;
  }
  try {
    if (typeof doc.folder === 'string' && doc.folder.startsWith('file:')) return fileURLToPath(doc.folder);
    if (typeof doc.workspace === 'string' && doc.workspace.startsWith('file:')) return path.dirname(fileURLToPath(doc.workspace));
  } catch {
    // not a path on this machine
  }
  return undefined;
}

interface CopilotState {
  sessionId?: string;
  cwd?: string;
  /**
   * Timestamp of the last request of the session's finished beginning: its requests emitted all
   * their activity, and a rewrite emits nothing of them again.
   */
  activityUntil?: number;
  /** Keys emitted from the requests after it, which can still change (the one running). */
  seen?: string[];
}

class CopilotParser implements FileParser {
  private sessionId: string;
  private activityUntil: number;
  private seen: string[];

  constructor(
    private readonly file: string,
    private readonly sink: ParseSink,
    private readonly options: ParserOptions,
    saved: CopilotState | undefined,
    private readonly cwd: string | undefined,
  ) {
    this.sessionId = path.basename(file).replace(/\.jsonl?$/, '');
    this.activityUntil = saved?.activityUntil ?? -Infinity;
    this.seen = saved?.seen ?? [];
  }

  saveState(): CopilotState {
    const activityUntil = Number.isFinite(this.activityUntil) ? this.activityUntil : undefined;
    return { sessionId: this.sessionId, cwd: this.cwd, activityUntil, seen: this.seen.length > 0 ? this.seen : undefined };
  }

  parse(buf: Buffer, end: number): number {
    const session = this.file.endsWith('.jsonl') ? this.replay(buf.toString('utf8', 0, end)) : this.document(buf.toString('utf8', 0, end));
    if (!session) return 0;
    if (!Array.isArray(session.requests)) {
      this.sink.skip({ reason: 'not-an-object', file: this.file, offset: 0, detail: 'no requests array' });
      return 0;
    }
    if (typeof session.sessionId === 'string' && session.sessionId) this.sessionId = session.sessionId;
    const fallbackTime = num(session.lastMessageDate) ?? num(session.creationDate);
    for (const raw of session.requests as unknown[]) {
      if (typeof raw === 'object' && raw !== null) this.request(raw as Record<string, unknown>, fallbackTime);
    }
    if (this.options.activity) this.activity(session, fallbackTime);
    return end;
  }

  /**
   * Emits what the requests after `activityUntil` have not emitted yet, then moves it to the end
   * of the finished requests at the start of the session (requests run one after another, so only
   * the last one can be running) and keeps the keys of those after.
   */
  private activity(session: Record<string, unknown>, fallbackTime: number | undefined): void {
    const requests = (session.requests as unknown[]).filter((r): r is Record<string, unknown> => typeof obj(r)?.requestId === 'string');
    const seen = new Set(this.seen);
    const keep: string[] = [];
    const selectedModel = selectedModelWindow(session);
    let until = this.activityUntil;
    let finished = true;
    requests.forEach((r, i) => {
      const timestamp = num(r.timestamp) ?? fallbackTime;
      if (timestamp === undefined) return;
      const settled = obj(r.result) !== undefined || i < requests.length - 1;
      if (timestamp > this.activityUntil) {
        const announce = i === 0 && this.cwd ? { cwd: this.cwd, timestamp: num(session.creationDate) ?? timestamp } : undefined;
        const ctx: RequestContext = { sessionId: this.sessionId, timestamp, announce, settled, selectedModel };
        for (const { key, event } of requestActivity(r, ctx)) {
          if (!finished || !settled) keep.push(key);
          if (seen.has(key)) continue;
          seen.add(key);
          this.sink.activity?.(event);
        }
      }
      finished &&= settled;
      if (finished) until = Math.max(until, timestamp);
    });
    this.activityUntil = until;
    this.seen = keep;
  }

  private document(text: string): Record<string, unknown> | undefined {
    return parseDocument(text, this.file, this.sink, isRecord, 'not a session object');
  }

  /** Rebuilds the session from its mutation log; a line that does not parse fails the whole read. */
  private replay(text: string): Record<string, unknown> | undefined {
    let state: unknown;
    let offset = 0;
    for (const line of text.split('\n')) {
      const at = offset;
      offset += Buffer.byteLength(line) + 1;
      if (!line.trim()) continue;
      let entry: { kind?: unknown; k?: unknown; v?: unknown; i?: unknown };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        // A line still being written: keep the last good read until the editor finishes it.
        this.sink.skip({ reason: 'malformed-json', file: this.file, offset: at, detail: 'mutation log line' });
        return undefined;
      }
      if (entry.kind === 0) state = entry.v;
      else if (state !== undefined && Array.isArray(entry.k) && entry.k.length > 0) applyMutation(state, entry.kind, entry.k as Array<string | number>, entry.v, entry.i);
    }
    if (typeof state !== 'object' || state === null || Array.isArray(state)) {
      this.sink.skip({ reason: 'not-an-object', file: this.file, offset: 0, detail: 'no initial session line' });
      return undefined;
    }
    return state as Record<string, unknown>;
  }

  private request(r: Record<string, unknown>, fallbackTime: number | undefined): void {
    const requestId = typeof r.requestId === 'string' ? r.requestId : undefined;
    const timestamp = num(r.timestamp) ?? fallbackTime;
    if (!requestId || timestamp === undefined) {
      this.sink.skip({ reason: 'bad-usage', file: this.file, detail: requestId ? `request ${requestId} has no timestamp` : 'request without requestId' });
      return;
    }
    const result = obj(r.result);
    if (!result && !Array.isArray(r.response)) return; // still waiting for its first answer
    const metadata = obj(result?.metadata);
    const model = str(metadata?.resolvedModel) ?? str(r.modelId)?.replace(/^copilot\//, '') ?? 'unknown';
    const key = `copilot:${this.sessionId}:${requestId}`;
    // Rounds that recorded their own usage are the request's model calls: the request-level
    // counts then describe one of them again, so they are not used.
    if (this.rounds(metadata, key, model, timestamp)) return;
    const prompt = count(metadata?.promptTokens);
    const output = count(metadata?.outputTokens);
    let input: number;
    let out: number;
    let estimated = false;
    if (prompt !== undefined && output !== undefined) {
      input = prompt;
      out = output;
      // Those are the last model call's counts: for a request of several rounds, a lower bound.
      estimated = Array.isArray(metadata?.toolCallRounds) && metadata.toolCallRounds.length > 1;
    } else {
      const counter = tokenCounter();
      if (!counter) {
        this.sink.skip({ reason: 'bad-usage', file: this.file, detail: `request ${requestId}: no counts and no tokenizer to estimate them` });
        return;
      }
      input = counter(messageText(r.message));
      out = counter(responseText(r.response));
      estimated = true;
    }
    if (input + out === 0) return;
    this.emit(key, timestamp, model, { input, cacheRead: 0, output: out, reasoning: 0 }, estimated);
  }

  /**
   * One record per tool-call round of `result.metadata.toolCallRounds` that recorded its usage
   * (`usage`, the provider's APIUsage), keyed by the round's id; false when no round did. A round
   * without usage beside rounds with it is reported, not guessed at.
   */
  private rounds(metadata: Record<string, unknown> | undefined, key: string, model: string, timestamp: number): boolean {
    const rounds = Array.isArray(metadata?.toolCallRounds) ? (metadata.toolCallRounds as unknown[]).map(obj) : [];
    const usages = rounds.map(roundUsage);
    if (!usages.some((u) => u !== undefined)) return false;
    const seen = new Set<string>();
    rounds.forEach((round, i) => {
      const id = str(round?.id) ?? `#${i}`;
      const usage = usages[i];
      if (!usage) {
        this.sink.skip({ reason: 'bad-usage', file: this.file, detail: `${key} round ${id}: no usage recorded` });
        return;
      }
      if (seen.has(id)) return; // the same round listed twice is one model call
      seen.add(id);
      if (usage.input + usage.cacheRead + usage.output === 0) return;
      this.emit(`${key}:${id}`, num(round?.timestamp) ?? timestamp, model, usage, false);
    });
    return true;
  }

  private emit(key: string, timestamp: number, model: string, c: Counts, estimated: boolean): void {
    this.sink.usage({
      agent: 'copilot-chat',
      sessionId: this.sessionId,
      key,
      timestamp,
      model,
      inputTokens: c.input,
      outputTokens: c.output,
      cacheWrite5mTokens: 0,
      cacheWrite1hTokens: 0,
      cacheReadTokens: c.cacheRead,
      reasoningOutputTokens: c.reasoning,
      ...(estimated ? { estimated: true } : {}),
    });
  }
}

interface Counts {
  readonly input: number;
  readonly cacheRead: number;
  readonly output: number;
  readonly reasoning: number;
}

/**
 * A round's own usage, in the provider's OpenAI-style shape (vscode-copilot-chat `APIUsage`):
 * `prompt_tokens` includes `prompt_tokens_details.cached_tokens` (taken out of input here; for
 * Claude it also includes the cache writes, which the log does not separate), and
 * `completion_tokens` includes `completion_tokens_details.reasoning_tokens` (also kept as
 * `thinking.tokens`). Undefined without both counts.
 */
function roundUsage(round: Record<string, unknown> | undefined): Counts | undefined {
  const usage = obj(round?.usage);
  const prompt = count(usage?.prompt_tokens);
  const output = count(usage?.completion_tokens);
  if (prompt === undefined || output === undefined) return undefined;
  const cacheRead = Math.min(prompt, count(obj(usage?.prompt_tokens_details)?.cached_tokens) ?? 0);
  const reasoning = Math.min(output, count(obj(usage?.completion_tokens_details)?.reasoning_tokens) ?? count(obj(round?.thinking)?.tokens) ?? 0);
  return { input: prompt - cacheRead, cacheRead, output, reasoning };
}

/**
 * The window of the model picked in the chat input (vscode `chatModel.ts`
 * ISerializableChatModelInputState `selectedModel`: `identifier`, `metadata.maxInputTokens`).
 */
function selectedModelWindow(session: Record<string, unknown>): RequestContext['selectedModel'] {
  const selected = obj(obj(session.inputState)?.selectedModel);
  const identifier = str(selected?.identifier);
  const maxInputTokens = count(obj(selected?.metadata)?.maxInputTokens);
  return identifier && maxInputTokens ? { identifier, maxInputTokens } : undefined;
}

/** One mutation of vscode's ObjectMutationLog (`_applySet`, `_applyPush`). */
function applyMutation(state: unknown, kind: unknown, k: Array<string | number>, v: unknown, i: unknown): void {
  let target = state as Record<string | number, unknown>;
  for (const key of k.slice(0, -1)) {
    const next = target[key];
    if (typeof next !== 'object' || next === null) return;
    target = next as Record<string | number, unknown>;
  }
  const last = k[k.length - 1];
  if (kind === 1) target[last] = v;
  else if (kind === 3) delete target[last];
  else if (kind === 2) {
    const list = Array.isArray(target[last]) ? (target[last] as unknown[]) : [];
    if (typeof i === 'number') list.length = Math.min(list.length, i);
    if (Array.isArray(v)) list.push(...(v as unknown[]));
    target[last] = list;
  }
}

/** The request as typed: `message.text`, or a plain string in old files. */
function messageText(message: unknown): string {
  if (typeof message === 'string') return message;
  return str(obj(message)?.text) ?? '';
}

/**
 * The response's text: markdown parts (`{value}` without `kind`, or `kind:"markdownContent"` with
 * `content.value`) and thinking parts (`kind:"thinking"`, `value` a string or strings), which are
 * billed as output. Tool invocations and edits carry no model text of their own here.
 */
function responseText(response: unknown): string {
  if (!Array.isArray(response)) return '';
  let text = '';
  for (const raw of response as unknown[]) {
    const p = obj(raw);
    if (!p) continue;
    if (p.kind === undefined && typeof p.value === 'string') text += p.value;
    else if (p.kind === 'markdownContent') text += str(obj(p.content)?.value) ?? '';
    else if (p.kind === 'thinking') text += Array.isArray(p.value) ? p.value.filter((s) => typeof s === 'string').join('') : (str(p.value) ?? '');
  }
  return text;
}

type Counter = (text: string) => number;
let counter: Counter | null | undefined;

/**
 * o200k_base, loaded on the first estimate only (the ranks are 2.3 MB): the `dist/tokenizer.js`
 * bundle beside the extension or CLI bundle, else the unbundled module (tests). Run-time requires
 * of computed paths, so esbuild leaves the ranks out of every other bundle.
 */
function tokenCounter(): Counter | undefined {
  if (counter !== undefined) return counter ?? undefined;
  const candidates = [path.join(__dirname, 'tokenizer.js'), path.join(__dirname, '..', '..', 'estimate', 'tokenizer.js')];
  for (const file of candidates) {
    if (!fs.existsSync(file)) continue;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(file) as { countTokens?: Counter };
      if (typeof mod.countTokens === 'function') return (counter = mod.countTokens);
    } catch {
      // try the next one
    }
  }
  counter = null;
  return undefined;
}
