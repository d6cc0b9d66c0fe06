import * as path from 'node:path';
import { tokenCount } from '../claude/claudeSource';
import type { AgentSource, FileParser, ParserOptions, SourceEnv } from '../source';
import type { ParseSink } from '../types';
import { clineSessionsDir, pricingProvider, readJson, str } from './clineSource';

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
  createParser(file, sink, options, saved) {
    return new ClineSdkParser(file, sink, options, saved as SdkState | undefined);
  },
};

interface SdkState {
  sessionId?: string;
  cwd?: string;
  /** Timestamp of the last request whose activity was emitted: a rewrite emits only what is newer. */
  activityUntil?: number;
}

/** The session manifest's fields this parser uses. */
interface Manifest {
  readonly cwd?: string;
  readonly model?: string;
  readonly provider?: string;
}

interface Counts {
  readonly input: number;
  readonly output: number;
  readonly cacheRead: number;
  readonly cacheWrite: number;
}

class ClineSdkParser implements FileParser {
  /** The folder is the root session's id; sub-agent files in it belong to that session. */
  private readonly folderId: string;
  private sessionId: string;
  private cwd: string | undefined;
  private activityUntil: number;

  constructor(
    private readonly file: string,
    private readonly sink: ParseSink,
    private readonly options: ParserOptions,
    saved: SdkState | undefined,
  ) {
    this.folderId = path.basename(path.dirname(file));
    this.sessionId = saved?.sessionId ?? this.folderId;
    this.cwd = saved?.cwd;
    this.activityUntil = saved?.activityUntil ?? -Infinity;
  }

  saveState(): SdkState {
    return { sessionId: this.sessionId, cwd: this.cwd, activityUntil: Number.isFinite(this.activityUntil) ? this.activityUntil : undefined };
  }

  parse(buf: Buffer, end: number): number {
    let doc: unknown;
    try {
      doc = JSON.parse(buf.toString('utf8', 0, end));
    } catch {
      this.sink.skip({ reason: 'malformed-json', file: this.file, offset: 0, detail: 'not a complete JSON document' });
      return 0;
    }
    const messages = (doc as { messages?: unknown } | null)?.messages;
    if (typeof doc !== 'object' || doc === null || !Array.isArray(messages)) {
      this.sink.skip({ reason: 'not-an-object', file: this.file, offset: 0, detail: 'not a session messages document' });
      return 0;
    }
    const d = doc as Record<string, unknown>;
    this.sessionId = str(d.sessionId) ?? this.folderId;
    const manifest = readManifest(path.join(path.dirname(this.file), `${this.folderId}.json`));
    this.cwd ??= manifest.cwd;
    const updatedAt = typeof d.updated_at === 'string' ? Date.parse(d.updated_at) : NaN;
    const first = this.activityUntil === -Infinity;
    let activityUntil = this.activityUntil;
    for (const raw of messages as unknown[]) {
      if (typeof raw !== 'object' || raw === null) continue;
      const m = raw as Record<string, unknown>;
      if (m.role !== 'assistant' || typeof m.metrics !== 'object' || m.metrics === null) continue;
      const ts = this.request(m, m.metrics as Record<string, unknown>, updatedAt, manifest);
      if (ts !== undefined) activityUntil = Math.max(activityUntil, ts);
    }
    if (this.options.activity) {
      if (first && this.cwd && activityUntil > -Infinity) {
        this.sink.activity?.({ kind: 'session', agent: 'cline', sessionId: this.sessionId, timestamp: activityUntil, cwd: this.cwd });
      }
      this.activityUntil = activityUntil;
    }
    return end;
  }

  /** Emits one request; returns its timestamp, or undefined when the message holds none. */
  private request(m: Record<string, unknown>, metrics: Record<string, unknown>, updatedAt: number, manifest: Manifest): number | undefined {
    // A resumed task's history is copied in from api_conversation_history.json, whose messages
    // may carry the classic `{ tokens: { prompt, completion, cached }, cost }`: those calls are
    // counted from the task's ui_messages.json.
    if (!('inputTokens' in metrics) && !('outputTokens' in metrics)) return undefined;
    const counts = countsOf(metrics);
    const ownTs = timestamp(m.ts) ?? timestamp(m.createdAt);
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
    if (this.options.activity && ts > this.activityUntil) {
      this.sink.activity?.({ kind: 'context', agent: 'cline', sessionId: this.sessionId, timestamp: ts, contextTokens: input + cached + counts.output });
    }
    return ts;
  }
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
  const info = typeof m.modelInfo === 'object' && m.modelInfo !== null ? (m.modelInfo as Record<string, unknown>) : undefined;
  const model = str(info?.id) ?? str(m.modelId);
  if (model) return { model, providerId: str(info?.provider) ?? str(m.providerId) };
  return { model: manifest.model ?? 'unknown', providerId: manifest.provider };
}

function readManifest(file: string): Manifest {
  const doc = readJson(file) as Record<string, unknown> | undefined;
  if (typeof doc !== 'object' || doc === null) return {};
  return { cwd: str(doc.cwd) ?? str(doc.workspace_root), model: str(doc.model), provider: str(doc.provider) };
}

function timestamp(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}
