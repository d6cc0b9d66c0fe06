import path = require('node:path');
import { obj, readJson, resultText, str, tokenCount } from '../../util/json';
import { errorHash, stableHash } from '../../util/hash';
import type { AgentSource, FileParser, ParserOptions, SourceEnv } from '../source';
import type { ActivityEvent, ParseSink } from '../types';
import { parseDocument } from '../document';
import { clineSessionsDir, pricingProvider, topFoldersOnly } from './clineSource';

/**
 * Cline ≥ 4 (the SDK-based CLI, standalone hosts and VS Code extension) keeps one folder per session
 * under `$CLINE_SESSION_DATA_DIR`, else `$CLINE_DATA_DIR/sessions`, else `~/.cline/data/sessions`
 * (cline/cline `sdk/packages/shared/src/storage/paths.ts`): `<id>/<id>.json` is the manifest
 * (`cwd`, `workspace_root`, `model`, `provider`), `<id>/<id>.messages.json` the conversation, and
 * sub-agents and teammates write `<agent>.messages.json` beside it
 * (`sdk/packages/core/src/session/session-artifacts.ts`). The messages file is one document,
 * `{ version: 1, updated_at, agent, sessionId, messages: [...] }`, rewritten whole on every save
 * (`sdk/packages/core/src/session/stores/session-manifest-store.ts` persistSessionMessages,
 * `sdk/packages/core/src/services/session-data.ts` buildMessagesFilePayload).
 *
 * Each assistant message that made a model call carries `metrics { inputTokens, outputTokens,
 * cacheReadTokens, cacheWriteTokens, cost }`, the usage reported during that one call
 * (`sdk/packages/agents/src/agent-runtime.ts` usageDelta), and `modelInfo { id, provider }`
 * (session-data.ts; older files may still say `modelId` / `providerId`). `inputTokens` is the whole
 * prompt, cache reads and writes included: the SDK's providers report AI SDK usage, and Cline itself
 * subtracts both to get the uncached part (`src/sdk/message-translator.ts` normalizeUsageEvent,
 * `sdk/packages/llms/src/gateway/ai-sdk.ts` calculateUsageCostFromPricing).
 */
export const clineSdkSource: AgentSource = {
  agent: 'cline',
  mode: 'document',
  roots(env: SourceEnv): string[] {
    return [clineSessionsDir(env)];
  },
  isLogFile(relativePath: string): boolean {
    const parts = relativePath.split(/[\\/]/);
    return parts.length === 2 && parts[1].endsWith('.messages.json');
  },
  descend: topFoldersOnly,
  createParser(file, sink, options, saved) {
    return new ClineSdkParser(file, sink, options, saved as SdkState | undefined);
  },
};

interface SdkState {
  sessionId?: string;
  cwd?: string;
  /** The `session` event (the working folder) was emitted. */
  sessionSent?: boolean;
  /** How many of the document's messages had their activity emitted: a rewrite emits from there on. */
  activityCount?: number;
  /** Fingerprint (role and content) of the last of them, to find it again if the history before it changes. */
  activityMark?: string;
  /** Timestamp of the last of them: when even that message is gone, only later ones are new. */
  activityUntil?: number;
  /** Timestamp of the last request whose context was emitted (a save can fill in a request's counts later). */
  contextUntil?: number;
}

/** The session manifest's fields this parser uses. */
interface Manifest {
  readonly cwd?: string;
  readonly model?: string;
  readonly provider?: string;
  /** The session this one was forked from (`metadata.fork.forkedFromSessionId`): it starts with a copy of that one's messages. */
  readonly forkedFrom?: string;
  /** When it was forked (`metadata.fork.forkedAt`). */
  readonly forkedAt?: number;
}

interface Counts {
  readonly input: number;
  readonly output: number;
  readonly cacheRead: number;
  readonly cacheWrite: number;
}

/** One counted request: when, and the tokens in the model's context (the whole prompt and the reply). */
interface Request {
  readonly ts: number;
  readonly contextTokens: number;
}

type Message = Record<string, unknown>;

interface MessagesDocument {
  readonly sessionId?: unknown;
  readonly updated_at?: unknown;
  readonly messages: unknown[];
}

function isMessagesDocument(doc: unknown): doc is MessagesDocument {
  return typeof doc === 'object' && doc !== null && Array.isArray((doc as { messages?: unknown }).messages);
}

class ClineSdkParser implements FileParser {
  /** The folder is the root session's id; sub-agent files in it belong to that session. */
  private readonly folderId: string;
  private sessionId: string;
  private cwd: string | undefined;
  private sessionSent: boolean;
  private activityCount: number;
  private activityMark: string | undefined;
  private activityUntil: number;
  private contextUntil: number;

  constructor(
    private readonly file: string,
    private readonly sink: ParseSink,
    private readonly options: ParserOptions,
    saved: SdkState | undefined,
  ) {
    this.folderId = path.basename(path.dirname(file));
    this.sessionId = saved?.sessionId ?? this.folderId;
    this.cwd = saved?.cwd;
    this.sessionSent = saved?.sessionSent === true;
    this.activityCount = saved?.activityCount ?? 0;
    this.activityMark = saved?.activityMark;
    this.activityUntil = saved?.activityUntil ?? -Infinity;
    this.contextUntil = saved?.contextUntil ?? -Infinity;
  }

  saveState(): SdkState {
    return {
      sessionId: this.sessionId,
      cwd: this.cwd,
      sessionSent: this.sessionSent || undefined,
      activityCount: this.activityCount || undefined,
      activityMark: this.activityMark,
      activityUntil: Number.isFinite(this.activityUntil) ? this.activityUntil : undefined,
      contextUntil: Number.isFinite(this.contextUntil) ? this.contextUntil : undefined,
    };
  }

  parse(buf: Buffer, end: number): number {
    const doc = parseDocument(buf.toString('utf8', 0, end), this.file, this.sink, isMessagesDocument, 'not a session messages document');
    if (!doc) return 0;
    this.sessionId = str(doc.sessionId) ?? this.folderId;
    const manifest = readManifest(path.join(path.dirname(this.file), `${this.folderId}.json`));
    this.cwd ??= manifest.cwd;
    const updatedAt = typeof doc.updated_at === 'string' ? Date.parse(doc.updated_at) : NaN;
    const messages = doc.messages.map(obj);
    const requests = messages.map((m) => {
      if (m?.role !== 'assistant' || typeof m.metrics !== 'object' || m.metrics === null) return undefined;
      return this.request(m, m.metrics as Record<string, unknown>, updatedAt, manifest);
    });
    if (this.options.activity) this.activity(doc.messages, messages, requests, updatedAt, manifest);
    return end;
  }

  /** Emits one request; returns it, or undefined when the message holds none. */
  private request(m: Message, metrics: Record<string, unknown>, updatedAt: number, manifest: Manifest): Request | undefined {
    // A resumed task's history is copied in from api_conversation_history.json, whose messages
    // may carry the classic `{ tokens: { prompt, completion, cached }, cost }`: those calls are
    // counted from the task's ui_messages.json.
    if (!('inputTokens' in metrics) && !('outputTokens' in metrics)) return undefined;
    const counts = countsOf(metrics);
    const ownTs = ownTimestamp(m);
    const ts = ownTs ?? (Number.isFinite(updatedAt) ? updatedAt : undefined);
    if (!counts || ts === undefined) {
      this.sink.skip({ reason: 'bad-usage', file: this.file, detail: counts ? `request without a timestamp (${str(m.id) ?? 'no id'})` : `token counts are not whole numbers (${str(m.id) ?? ownTs ?? 'no id'})` });
      return undefined;
    }
    if (counts.input + counts.output + counts.cacheRead + counts.cacheWrite === 0) return undefined; // no usage was reported
    const cached = counts.cacheRead + counts.cacheWrite;
    // A total is never below its cached part: a smaller one can only be the remainder already.
    const input = counts.input >= cached ? counts.input - cached : counts.input;
    const { model, providerId } = messageModel(m, manifest);
    const when = ownTs !== undefined ? String(ownTs) : `id:${str(m.id) ?? ''}`;
    this.sink.usage({
      agent: 'cline',
      sessionId: this.sessionId,
      // Not the session: a resumed or forked session copies the parent's messages (metrics,
      // `ts` and all) into a new file, and the copy must not count again.
      key: `cline:sdk:${when}:${counts.input}:${counts.output}:${counts.cacheRead}:${counts.cacheWrite}`,
      timestamp: ts,
      model,
      inputTokens: input,
      outputTokens: counts.output,
      cacheWrite5mTokens: counts.cacheWrite,
      cacheWrite1hTokens: 0,
      cacheReadTokens: counts.cacheRead,
      reasoningOutputTokens: 0,
      provider: pricingProvider(providerId, model),
    });
    return { ts, contextTokens: input + cached + counts.output };
  }

  /**
   * Emits what the messages not seen before show, in order: a user turn for each message the user
   * typed, each tool call and each failed tool result, compactions, and the context of each request.
   *
   * The message shapes are the SDK's `MessageWithMetadata` (cline/cline
   * `sdk/packages/shared/src/llms/messages.ts`): `role` "user" | "assistant", `content` a string or
   * blocks — `{ type: "tool_use", id, name, input }` in assistant messages,
   * `{ type: "tool_result", tool_use_id, name?, content, is_error? }` in user ones, besides text,
   * file, image and thinking blocks — and an optional `ts`. A user message is a turn when it holds
   * what a person sends and no tool result (stricter than Cline's isTurnStartMessage, "not only tool
   * results": a turn restarts the guards' count, so a notice riding on a tool result must not), and
   * is not a compaction summary: a user message with `metadata.kind: "compaction_summary"`
   * (`sdk/packages/core/src/extensions/context/compaction-shared.ts` buildSummaryMessage), also
   * marked `compactionSummary: true` by newer releases
   * (`sdk/packages/core/src/session/models/message-annotations.ts`).
   *
   * The transcript only grows between saves, so the messages already seen are counted, not dated:
   * timestamps do not tell them apart, as the SDK stamps `ts` on a turn's assistant messages only
   * (`sdk/packages/core/src/services/session-data.ts` withLatestAssistantTurnMetadata), and newer
   * releases give an unstamped message its neighbour's (message-annotations.ts fillTimestamps).
   */
  private activity(raws: readonly unknown[], messages: ReadonlyArray<Message | undefined>, requests: ReadonlyArray<Request | undefined>, updatedAt: number, manifest: Manifest): void {
    const times = messageTimes(messages, updatedAt);
    const start = this.resumeAt(raws);
    // A fork's first messages are its parent's, which the parent's own file reports.
    const inherited = this.activityCount === 0 && this.activityMark === undefined ? inheritedCount(this.file, raws, messages, manifest) : 0;
    const toolNames = new Map<string, string>();
    for (const m of messages) {
      for (const block of blocks(m)) if (block.type === 'tool_use' && typeof block.id === 'string' && typeof block.name === 'string') toolNames.set(block.id, block.name);
    }
    const { sessionId } = this;
    const emit = (event: ActivityEvent): void => {
      if (!this.sessionSent && this.cwd) {
        this.sink.activity?.({ kind: 'session', agent: 'cline', sessionId, timestamp: event.timestamp, cwd: this.cwd });
        this.sessionSent = true;
      }
      this.sink.activity?.(event);
    };
    let activityUntil = this.activityUntil;
    let contextUntil = this.contextUntil;
    messages.forEach((m, i) => {
      if (i < inherited) return;
      const request = requests[i];
      if (request && request.ts > this.contextUntil) {
        emit({ kind: 'context', agent: 'cline', sessionId, timestamp: request.ts, contextTokens: request.contextTokens });
        contextUntil = Math.max(contextUntil, request.ts);
      }
      const time = times[i];
      if (!m || time === undefined) return;
      const isNew = start !== undefined ? i >= start : time > this.activityUntil;
      if (isCompactionSummary(m)) {
        // Compacting may replace the history with [summary, …the messages kept], putting the summary
        // before messages already seen: its `generatedAt` tells whether it is new.
        const at = timestamp(obj(m.metadata)?.generatedAt) ?? time;
        if (isNew || at > this.activityUntil) {
          emit({ kind: 'compaction', agent: 'cline', sessionId, timestamp: at });
          activityUntil = Math.max(activityUntil, at);
        }
        return;
      }
      if (!isNew) return;
      activityUntil = Math.max(activityUntil, time);
      const content = blocks(m);
      if (m.role === 'assistant') {
        for (const block of content) {
          if (block.type !== 'tool_use') continue;
          const callId = str(block.id) ?? `${time}:${i}`;
          emit({ kind: 'toolCall', agent: 'cline', sessionId, timestamp: time, name: str(block.name) ?? 'unknown', argsHash: stableHash(block.input ?? {}), callId });
        }
      } else if (m.role === 'user') {
        const results = content.filter((block) => block.type === 'tool_result');
        for (const block of results) {
          if (block.is_error !== true) continue;
          const callId = str(block.tool_use_id) ?? `${time}:${i}`;
          const name = toolNames.get(callId) ?? str(block.name) ?? 'unknown';
          emit({ kind: 'toolError', agent: 'cline', sessionId, timestamp: time, name, errorHash: errorHash(resultText(block.content)), callId });
        }
        if (results.length === 0 && !isInjected(m) && (typeof m.content === 'string' ? m.content.trim() !== '' : content.some((block) => USER_INPUT.has(String(block.type))))) {
          emit({ kind: 'userTurn', agent: 'cline', sessionId, timestamp: time });
        }
      }
    });
    this.activityCount = raws.length;
    if (raws.length > 0) this.activityMark = fingerprint(raws[raws.length - 1]);
    this.activityUntil = activityUntil;
    this.contextUntil = contextUntil;
  }

  /**
   * Index of the first message not seen yet: after the last one seen, found where it was or, when
   * the history before it was rewritten (compacted into a summary, say), further back. Undefined
   * when it is gone: then the messages dated after it are the new ones.
   */
  private resumeAt(raws: readonly unknown[]): number | undefined {
    const count = this.activityCount;
    if (count === 0 || this.activityMark === undefined) return this.activityUntil === -Infinity ? 0 : undefined;
    for (let i = Math.min(count, raws.length) - 1; i >= 0; i--) {
      if (fingerprint(raws[i]) === this.activityMark) return i + 1;
    }
    return undefined;
  }
}

/** A message's identity across saves: its role and content (the SDK re-mints `id` and `ts` on a round trip). */
function fingerprint(raw: unknown): string {
  const m = raw as Message | null;
  return stableHash(typeof m === 'object' && m !== null ? [m.role, m.content] : raw);
}

/** Content blocks a person sends; a message holding a tool result is the tool's, whatever rides along. */
const USER_INPUT = new Set(['text', 'file', 'image']);

function blocks(m: Message | undefined): Message[] {
  if (!m || !Array.isArray(m.content)) return [];
  return (m.content as unknown[]).map(obj).filter((b): b is Message => b !== undefined);
}

/**
 * A user-role message Cline wrote itself: `metadata.userRunSpan: 0` ("tool results and
 * system-injected user-role messages contribute no runs"), as on the "[SYSTEM] This run is not
 * complete until you call … submit_and_exit" reminder `--yolo` adds after the prompt (seen with the
 * real CLI 3.0.65), or a synthetic `metadata.kind` (completion, loop-detection and recovery
 * notices). A message typed while a run is in progress is marked the same way and is not a turn
 * either: the run it joins already started with one.
 */
function isInjected(m: Message): boolean {
  const metadata = obj(m.metadata);
  return metadata?.userRunSpan === 0 || INJECTED_KINDS.has(String(metadata?.kind));
}

const INJECTED_KINDS = new Set(['completion_reminder', 'loop_detection_notice', 'recovery_notice']);

function isCompactionSummary(m: Message): boolean {
  return m.compactionSummary === true || obj(m.metadata)?.kind === 'compaction_summary';
}

/**
 * Each message's time: its own `ts` (or `createdAt`), else the nearest earlier message's, else the
 * nearest later one's, else the document's `updated_at` — Cline's own rule for unstamped messages
 * (message-annotations.ts fillTimestamps, with `updated_at` for its `Date.now()`).
 */
function messageTimes(messages: ReadonlyArray<Message | undefined>, updatedAt: number): Array<number | undefined> {
  const times = messages.map((m) => (m ? ownTimestamp(m) : undefined));
  let previous: number | undefined;
  for (let i = 0; i < times.length; i++) previous = times[i] = times[i] ?? previous;
  let next: number | undefined;
  for (let i = times.length - 1; i >= 0; i--) next = times[i] = times[i] ?? next;
  const fallback = Number.isFinite(updatedAt) ? updatedAt : undefined;
  return times.map((t) => t ?? fallback);
}

/** The four counts, each a whole number (absent cache counts are 0), or undefined when one is not. */
function countsOf(metrics: Record<string, unknown>): Counts | undefined {
  const input = tokenCount(metrics.inputTokens);
  const output = tokenCount(metrics.outputTokens);
  const cacheRead = tokenCount(metrics.cacheReadTokens);
  const cacheWrite = tokenCount(metrics.cacheWriteTokens);
  if (input === undefined || output === undefined || cacheRead === undefined || cacheWrite === undefined) return undefined;
  return { input, output, cacheRead, cacheWrite };
}

/** The message's model (it changes mid-session when the user switches), else the session's. */
function messageModel(m: Record<string, unknown>, manifest: Manifest): { model: string; providerId: string | undefined } {
  const info = obj(m.modelInfo);
  const model = str(info?.id) ?? str(m.modelId);
  if (model) return { model, providerId: str(info?.provider) ?? str(m.providerId) };
  return { model: manifest.model ?? 'unknown', providerId: manifest.provider };
}

function readManifest(file: string): Manifest {
  const doc = obj(readJson(file));
  if (!doc) return {};
  const fork = obj(obj(doc.metadata)?.fork);
  const forkedAt = str(fork?.forkedAt);
  return {
    cwd: str(doc.cwd) ?? str(doc.workspace_root),
    model: str(doc.model),
    provider: str(doc.provider),
    forkedFrom: str(fork?.forkedFromSessionId),
    forkedAt: forkedAt === undefined ? undefined : timestamp(Date.parse(forkedAt)),
  };
}

/**
 * How many of a forked session's first messages are the copy of its parent's (the fork's manifest
 * names the parent, `metadata.fork`; the SDK copies the history into the new session's file): the
 * messages equal to the parent's, in role and content, at the same places. Without the parent's
 * file, the messages up to the last one stamped no later than the fork, and the tool results that
 * answer it. 0 for a session that was not forked.
 */
function inheritedCount(file: string, raws: readonly unknown[], messages: ReadonlyArray<Message | undefined>, manifest: Manifest): number {
  if (manifest.forkedFrom === undefined) return 0;
  const sessions = path.dirname(path.dirname(file));
  const parent = readJson(path.join(sessions, manifest.forkedFrom, `${manifest.forkedFrom}.messages.json`));
  if (isMessagesDocument(parent)) {
    let n = 0;
    while (n < raws.length && n < parent.messages.length && fingerprint(raws[n]) === fingerprint(parent.messages[n])) n++;
    return n;
  }
  const { forkedAt } = manifest;
  if (forkedAt === undefined) return 0;
  let n = 0;
  messages.forEach((m, i) => {
    const own = m ? ownTimestamp(m) : undefined;
    if (own !== undefined && own <= forkedAt) n = i + 1;
  });
  // The results of the copied calls (unstamped, the tools' answers) were copied with them.
  while (n > 0 && n < messages.length && messages[n]?.role === 'user' && ownTimestamp(messages[n]!) === undefined && blocks(messages[n]).some((b) => b.type === 'tool_result')) n++;
  return n;
}

function ownTimestamp(m: Message): number | undefined {
  return timestamp(m.ts) ?? timestamp(m.createdAt);
}

function timestamp(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}
