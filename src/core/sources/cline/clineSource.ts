import fs = require('node:fs');
import path = require('node:path');
import type { Provider } from '../../pricing/pricer';
import { PRICE_TABLE } from '../../pricing/prices.generated';
import { errorHash, stableHash } from '../../util/hash';
import { parseJsonOrText, readJson, str, tokenCount } from '../../util/json';
import type { AgentSource, FileParser, ParserOptions, SourceEnv } from '../source';
import type { AgentId, ParseSink } from '../types';
import { parseDocument } from '../document';

/**
 * Cline and its forks Roo Code and Kilo Code, in any VS Code-family editor:
 * `<user dir>/User/globalStorage/<extension id>/tasks/<taskId>/ui_messages.json` (and, for Cline's
 * standalone host, `~/.cline/data/tasks/<taskId>/ui_messages.json`), one JSON array
 * of ClineMessage rewritten whole on every change (document mode). Each model call is one
 * `say:"api_req_started"` message whose `text` is a JSON string, first written as a placeholder
 * without counts and filled in when the stream ends (`tokensIn`, `tokensOut`, `cacheWrites`,
 * `cacheReads`, `cost`). Cline folds the calls of messages the user deleted into one
 * `say:"deleted_api_reqs"` message of the same shape (cline `shared/getApiMetrics.ts`).
 */
type Product = 'cline' | 'roo-code' | 'kilo-code';

const EXTENSION_ID: Record<Product, string> = {
  cline: 'saoudrizwan.claude-dev',
  'roo-code': 'rooveterinaryinc.roo-cline',
  'kilo-code': 'kilocode.kilo-code',
};

/** The user-data folder names of the editors these extensions run in. */
const EDITORS = ['Code', 'Code - Insiders', 'VSCodium', 'Cursor', 'Windsurf'];

/**
 * Every `globalStorage` folder the extension can use: Linux `~/.config/<editor>`, macOS
 * `~/Library/Application Support/<editor>`, Windows `%APPDATA%/<editor>`, and VS Code Server /
 * code-server. `AGENT_METER_EDITOR_USER_DIRS` (path-separated `…/User` parents) replaces them.
 */
export function editorUserDirs(env: SourceEnv): string[] {
  const configured = env.vars.AGENT_METER_EDITOR_USER_DIRS?.trim();
  if (configured) return configured.split(path.delimiter).map((d) => d.trim()).filter(Boolean);
  const dirs: string[] = [];
  for (const editor of EDITORS) {
    dirs.push(path.join(env.home, '.config', editor));
    dirs.push(path.join(env.home, 'Library', 'Application Support', editor));
    const appData = env.vars.APPDATA?.trim();
    if (appData) dirs.push(path.join(appData, editor));
  }
  dirs.push(path.join(env.home, '.vscode-server', 'data'), path.join(env.home, '.local', 'share', 'code-server'));
  return dirs;
}

/**
 * Enters only the folders right below a root: a Cline task's (or SDK session's) folder may hold
 * checkpoints and attachments, and its log is at its top.
 */
export function topFoldersOnly(relativeFolder: string): boolean {
  return !/[\\/]/.test(relativeFolder);
}

/** `<user dir>/User/globalStorage/<folder>` in every editor: an extension's global storage. */
export function globalStorageDirs(env: SourceEnv, folder: string): string[] {
  return editorUserDirs(env).map((dir) => path.join(dir, 'User', 'globalStorage', folder));
}

/**
 * Cline's data folder outside the editor: `$CLINE_DATA_DIR`, else `$CLINE_DIR/data`, else
 * `~/.cline/data` (cline/cline `sdk/packages/shared/src/storage/paths.ts` resolveClineDataDir, and
 * `src/sdk/legacy-state-reader.ts` resolveDataDir for the extension's own state).
 */
export function clineDataDir(env: SourceEnv): string {
  const explicit = env.vars.CLINE_DATA_DIR?.trim();
  if (explicit) return explicit;
  return path.join(env.vars.CLINE_DIR?.trim() || path.join(env.home, '.cline'), 'data');
}

/** Where Cline ≥ 4 keeps its SDK sessions: `$CLINE_SESSION_DATA_DIR`, else `<data dir>/sessions` (same file). */
export function clineSessionsDir(env: SourceEnv): string {
  return env.vars.CLINE_SESSION_DATA_DIR?.trim() || path.join(clineDataDir(env), 'sessions');
}

function clineFamilySource(product: Product): AgentSource {
  // Set by roots(), which the scanner calls before it creates parsers: the parser has no env.
  let sessionsDir: string | undefined;
  return {
    agent: product,
    mode: 'document',
    roots(env: SourceEnv): string[] {
      const roots = globalStorageDirs(env, EXTENSION_ID[product]).map((dir) => path.join(dir, 'tasks'));
      if (product !== 'cline') return roots;
      sessionsDir = clineSessionsDir(env);
      // The standalone host (JetBrains, CLI 1.x–2.x) uses `<data dir>` as its globalStorage, so its
      // tasks have the editor layout there (cline `src/standalone/vscode-context.ts`).
      return [...roots, path.join(clineDataDir(env), 'tasks')];
    },
    isLogFile(relativePath: string): boolean {
      const parts = relativePath.split(/[\\/]/);
      return parts.length === 2 && parts[1] === 'ui_messages.json';
    },
    descend: topFoldersOnly,
    createParser(file, sink, options, saved) {
      return new ClineParser(product, file, sink, options, saved as ClineState | undefined, sessionsDir);
    },
  };
}

export const clineSource = clineFamilySource('cline');
export const rooCodeSource = clineFamilySource('roo-code');
export const kiloCodeSource = clineFamilySource('kilo-code');

/**
 * Cline provider ids whose handlers report OpenAI `prompt_tokens` (cache included) as `tokensIn`
 * next to a cached count; every other Cline handler reports the uncached remainder (cline
 * `api/providers/openai.ts`, `litellm.ts`, … against `anthropic.ts`, `openrouter.ts`, `gemini.ts`).
 */
const CLINE_TOTAL_INPUT_PROVIDERS = new Set(['openai', 'litellm', 'doubao', 'fireworks', 'hicap', 'lmstudio', 'qwen', 'xai', 'zai']);

/**
 * From these releases Roo Code and Kilo Code write `tokensIn: costResult.totalInputTokens`, the
 * whole prompt for every protocol (RooCodeInc/Roo-Code#8954, Roo 3.29.5 of 2025-11-01; Kilo
 * 4.119.0 of 2025-11-12). Before, Anthropic-protocol calls wrote the uncached remainder.
 */
const TOTAL_INPUT_SINCE: Record<Exclude<Product, 'cline'>, number> = {
  'roo-code': Date.parse('2025-11-01T00:00:00Z'),
  'kilo-code': Date.parse('2025-11-12T00:00:00Z'),
};

/** Cline provider ids whose requests are billed at the model maker's list prices. */
const PROVIDER_PRICES: Readonly<Record<string, Provider>> = { anthropic: 'anthropic', 'openai-native': 'openai', gemini: 'google' };

interface ClineState {
  sessionId?: string;
  cwd?: string;
  /** `ts` of the last message whose activity was emitted: a rewrite emits only what is newer. */
  activityUntil?: number;
}

interface ModelUse {
  readonly ts: number;
  readonly model: string;
  readonly providerId: string | undefined;
}

class ClineParser implements FileParser {
  private readonly taskId: string;
  private cwd: string | undefined;
  private activityUntil: number;
  private readonly agent: AgentId;

  constructor(
    private readonly product: Product,
    private readonly file: string,
    private readonly sink: ParseSink,
    private readonly options: ParserOptions,
    saved: ClineState | undefined,
    private readonly sessionsDir?: string,
  ) {
    this.agent = product;
    this.taskId = path.basename(path.dirname(file));
    this.cwd = saved?.cwd;
    this.activityUntil = saved?.activityUntil ?? -Infinity;
  }

  saveState(): ClineState {
    return { sessionId: this.taskId, cwd: this.cwd, activityUntil: Number.isFinite(this.activityUntil) ? this.activityUntil : undefined };
  }

  parse(buf: Buffer, end: number): number {
    const doc = parseDocument(buf.toString('utf8', 0, end), this.file, this.sink, Array.isArray, 'not a message array');
    if (!doc) return 0;
    this.cwd ??= taskCwd(this.product, this.file, this.taskId);
    const models = this.product === 'cline' ? modelUsage(path.join(path.dirname(this.file), 'task_metadata.json')) : [];
    // The SDK session's own file gives its usage and its activity (clineSdkSource): none from the copy.
    const mirrored = this.mirrorsSdkSession();
    let activityUntil = this.activityUntil;
    let partialSeen = false;
    for (const raw of doc as unknown[]) {
      if (typeof raw !== 'object' || raw === null) continue;
      const m = raw as Record<string, unknown>;
      const ts = typeof m.ts === 'number' ? m.ts : NaN;
      if (Number.isNaN(ts)) continue;
      if (!mirrored && m.type === 'say' && (m.say === 'api_req_started' || m.say === 'deleted_api_reqs')) this.request(m, ts, models);
      if (!this.options.activity || mirrored) continue;
      // A partial message is rewritten when it completes: emit nothing from it on, this time.
      if (m.partial === true) partialSeen = true;
      if (partialSeen || ts <= this.activityUntil) continue;
      this.activity(m, ts, activityUntil === -Infinity);
      activityUntil = Math.max(activityUntil, ts);
    }
    if (this.options.activity) this.activityUntil = activityUntil;
    return end;
  }

  /**
   * The SDK-based Cline extension (≥ 4) saves a ui_messages.json copy of each SDK session, named by
   * the session id, whose `api_req_started` rows are translated from the same usage events
   * (cline `src/sdk/sdk-message-coordinator.ts` saveClineMessagesNow, `src/sdk/message-translator.ts`).
   * The session's own `<id>.messages.json` (clineSdkSource) is counted instead: the copy's row
   * timestamps are the translator's, so no key could match the two. Its activity comes from there
   * too, where tool calls carry their own ids: the copy's would be every call a second time.
   */
  private mirrorsSdkSession(): boolean {
    if (this.product !== 'cline' || !this.sessionsDir) return false;
    return fs.existsSync(path.join(this.sessionsDir, this.taskId, `${this.taskId}.messages.json`));
  }

  private request(m: Record<string, unknown>, ts: number, models: readonly ModelUse[]): void {
    if (typeof m.text !== 'string') return;
    let info: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(m.text);
      if (typeof parsed !== 'object' || parsed === null) return;
      info = parsed as Record<string, unknown>;
    } catch {
      this.sink.skip({ reason: 'malformed-json', file: this.file, detail: `api_req_started text at ts ${ts}` });
      return;
    }
    const tokensIn = tokenCount(info.tokensIn);
    const tokensOut = tokenCount(info.tokensOut);
    const cacheWrites = tokenCount(info.cacheWrites);
    const cacheReads = tokenCount(info.cacheReads);
    if (tokensIn === undefined || tokensOut === undefined || cacheWrites === undefined || cacheReads === undefined) {
      this.sink.skip({ reason: 'bad-usage', file: this.file, detail: `token counts are not whole numbers at ts ${ts}` });
      return;
    }
    if (tokensIn + tokensOut + cacheWrites + cacheReads === 0) return; // placeholder: not finished yet
    const { model, providerId } = requestModel(m, info, modelAt(models, ts));
    const input = this.includesCache(tokensIn, cacheReads + cacheWrites, ts, providerId, str(info.apiProtocol)) ? tokensIn - cacheReads - cacheWrites : tokensIn;
    this.sink.usage({
      agent: this.agent,
      sessionId: this.taskId,
      // `ts` is the message's identity in the webview list: stable across rewrites.
      key: `${this.product}:${this.taskId}:${ts}`,
      timestamp: ts,
      model,
      inputTokens: input,
      outputTokens: tokensOut,
      cacheWrite5mTokens: cacheWrites,
      cacheWrite1hTokens: 0,
      cacheReadTokens: cacheReads,
      reasoningOutputTokens: 0,
      provider: pricingProvider(providerId, model),
    });
    if (this.options.activity && m.say === 'api_req_started' && ts > this.activityUntil) {
      this.sink.activity?.({ kind: 'context', agent: this.agent, sessionId: this.taskId, timestamp: ts, contextTokens: input + cacheReads + cacheWrites + tokensOut });
    }
  }

  /** Whether `tokensIn` counts the cached tokens too (then they are taken out), per product and date. */
  private includesCache(tokensIn: number, cached: number, ts: number, providerId: string | undefined, apiProtocol: string | undefined): boolean {
    if (cached === 0 || tokensIn < cached) return false; // a total is never below its cached part
    if (this.product === 'cline') return providerId !== undefined && CLINE_TOTAL_INPUT_PROVIDERS.has(providerId);
    if (apiProtocol === 'anthropic' && ts < TOTAL_INPUT_SINCE[this.product]) return false;
    return true;
  }

  private activity(m: Record<string, unknown>, ts: number, first: boolean): void {
    const sessionId = this.taskId;
    const agent = this.agent;
    if (first && this.cwd) this.sink.activity?.({ kind: 'session', agent, sessionId, timestamp: ts, cwd: this.cwd });
    const kind = m.type === 'say' ? m.say : m.ask;
    const text = typeof m.text === 'string' ? m.text : '';
    switch (kind) {
      case 'task':
      case 'user_feedback':
        this.sink.activity?.({ kind: 'userTurn', agent, sessionId, timestamp: ts });
        return;
      case 'text':
        // The first message of a task is the user's request, as a `say:"text"`.
        if (first && m.type === 'say') this.sink.activity?.({ kind: 'userTurn', agent, sessionId, timestamp: ts });
        return;
      case 'tool':
        if (m.type === 'ask' || m.say === 'tool') {
          const args = parseJsonOrText(text);
          const name = typeof args === 'object' && args !== null && typeof (args as { tool?: unknown }).tool === 'string' ? (args as { tool: string }).tool : 'tool';
          this.sink.activity?.({ kind: 'toolCall', agent, sessionId, timestamp: ts, name, argsHash: stableHash(args), callId: String(ts) });
        }
        return;
      case 'command':
        this.sink.activity?.({ kind: 'toolCall', agent, sessionId, timestamp: ts, name: 'execute_command', argsHash: stableHash(text), callId: String(ts) });
        return;
      case 'use_mcp_server': {
        const args = parseJsonOrText(text) as Record<string, unknown> | undefined;
        const name = `mcp__${str(args?.serverName) ?? 'unknown'}__${str(args?.toolName) ?? 'unknown'}`;
        this.sink.activity?.({ kind: 'toolCall', agent, sessionId, timestamp: ts, name, argsHash: stableHash(args?.arguments), callId: String(ts) });
        return;
      }
      case 'error':
        if (m.type === 'say') this.sink.activity?.({ kind: 'toolError', agent, sessionId, timestamp: ts, name: 'unknown', errorHash: errorHash(text), callId: String(ts) });
        return;
      case 'condense_context':
        this.sink.activity?.({ kind: 'compaction', agent, sessionId, timestamp: ts });
        return;
      default:
        return;
    }
  }
}

/**
 * The model of one request, from the first place that names it: Cline's `modelInfo` on the message;
 * the `api_req_started` text's own `modelId` / `model` and `providerId` (written by some forks);
 * Cline's `task_metadata.json`. Roo Code and Kilo Code write none of these: their ClineMessage has
 * no model field and the text is `{ apiProtocol }` plus counts (RooCodeInc/Roo-Code
 * `packages/types/src/message.ts`, `src/core/task/Task.ts`; Kilo-Org/kilocode adds only
 * `inferenceProvider`); their `task_metadata.json` holds only `files_in_context`
 * (`src/core/context-tracking/FileContextTrackerTypes.ts`); `history_item.json` names the provider
 * profile (`apiConfigName`), whose model lives in the editor's secret storage; and
 * `api_conversation_history.json` carries no model (`src/core/task-persistence/apiMessages.ts`).
 * Their records stay 'unknown', so unpriced, rather than guessed.
 */
function requestModel(m: Record<string, unknown>, info: Record<string, unknown>, used: ModelUse | undefined): { model: string; providerId: string | undefined } {
  const modelInfo = typeof m.modelInfo === 'object' && m.modelInfo !== null ? (m.modelInfo as Record<string, unknown>) : undefined;
  const fromMessage = str(modelInfo?.modelId);
  if (fromMessage) return { model: fromMessage, providerId: str(modelInfo?.providerId) };
  const fromText = str(info.modelId) ?? str(info.model);
  if (fromText) return { model: fromText, providerId: str(info.providerId) };
  return { model: used?.model ?? 'unknown', providerId: used?.providerId };
}

/**
 * The provider whose prices apply: from the Cline provider id when it is the model maker's own
 * API, else the one provider of the bundled table that lists the logged id as one of its own
 * model ids, fallbacks not followed (a gateway's `anthropic/claude-…` or Bedrock's `anthropic.claude-…` stays unpriced).
 */
export function pricingProvider(providerId: string | undefined, model: string): Provider | undefined {
  if (providerId !== undefined) {
    const own = PROVIDER_PRICES[providerId];
    if (own) return own;
  }
  const id = model.toLowerCase().trim();
  const exact = (['anthropic', 'openai', 'google'] as const).filter((p) => PRICE_TABLE.providers[p]?.models.some((m) => m.id === id));
  return exact.length === 1 ? exact[0] : undefined;
}

/** Cline's `task_metadata.json` `model_usage`: appended whenever the task's model changes. */
function modelUsage(file: string): ModelUse[] {
  const doc = readJson(file) as { model_usage?: unknown } | undefined;
  if (!Array.isArray(doc?.model_usage)) return [];
  const out: ModelUse[] = [];
  for (const u of doc.model_usage as Array<Record<string, unknown>>) {
    if (typeof u?.ts === 'number' && typeof u.model_id === 'string') out.push({ ts: u.ts, model: u.model_id, providerId: str(u.model_provider_id) });
  }
  return out.sort((a, b) => a.ts - b.ts);
}

/** The model in use at `ts`: the last change at or before it, else the first one recorded. */
function modelAt(models: readonly ModelUse[], ts: number): ModelUse | undefined {
  let found: ModelUse | undefined;
  for (const m of models) {
    if (m.ts <= ts) found = m;
    else break;
  }
  return found ?? models[0];
}

/**
 * The task's folder: Cline keeps `cwdOnTaskInitialization` in `<storage>/state/taskHistory.json`;
 * Roo and Kilo keep `workspace` in the task's `history_item.json`.
 */
function taskCwd(product: Product, file: string, taskId: string): string | undefined {
  const taskDir = path.dirname(file);
  const item = readJson(path.join(taskDir, 'history_item.json')) as Record<string, unknown> | undefined;
  if (str(item?.workspace)) return str(item?.workspace);
  if (product !== 'cline') return undefined;
  const history = readJson(path.join(path.dirname(path.dirname(taskDir)), 'state', 'taskHistory.json'));
  if (!Array.isArray(history)) return undefined;
  const entry = (history as Array<Record<string, unknown>>).find((h) => h?.id === taskId);
  return str(entry?.cwdOnTaskInitialization);
}
