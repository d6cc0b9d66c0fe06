import fs = require('node:fs');
import path = require('node:path');
import { scanJsonLines, utf8Text, type JsonLineReader, type LineSkipReason } from '../../scan/lines';
import { errorHash, stableHash } from '../../util/hash';
import { isRecord, tokenCount } from '../../util/json';
import type { AgentSource, FileParser, ParserOptions, SourceEnv } from '../source';
import type { ParseSink } from '../types';
import { hexDigest } from '../../util/digest';
import { parseDocument } from '../document';

/**
 * Gemini CLI: `<home>/.gemini/tmp/<project>/chats/`, where `<home>` is `GEMINI_CLI_HOME` when set
 * (gemini-cli `utils/paths.ts` `homedir()` returns it instead of the OS home) and `<project>` is a
 * slug (`projects.json` registry, with the project path in `<project>/.project_root`) or, before
 * that, the sha256 of the project path. Two formats (gemini-cli `chatRecordingService.ts`):
 * - `session-*.json`: one ConversationRecord document rewritten whole (older versions);
 * - `session-*.jsonl` (and `<parentSessionId>/<id>.jsonl` for subagents): a metadata line, then
 *   every message appended again each time it changes (tokens, tool calls), plus `$set` and
 *   `$rewindTo` lines. Resuming a `.json` session copies all its messages into a `.jsonl`.
 * Each `gemini` message carries the usage of one model call, so its key is
 * `gemini:<sessionId>:<messageId>`: copies across lines and files count once.
 */
function chatRoots(env: SourceEnv): string[] {
  const home = env.vars.GEMINI_CLI_HOME?.trim() || env.home;
  return [path.join(home, '.gemini', 'tmp')];
}

/**
 * How deep a folder is below a root when it is a project or inside a project's `chats` (1: the
 * project, 2: its chats, 3: a subagent folder in chats); Infinity elsewhere (checkpoints, shell
 * history and logs of a project are never entered).
 */
function chatsFolderDepth(relativeFolder: string): number {
  const parts = relativeFolder.split(/[\\/]/);
  return parts.length === 1 || parts[1] === 'chats' ? parts.length : Infinity;
}

/** `<project>/chats/session-*.json`, the single-document format. */
export const geminiDocumentSource: AgentSource = {
  agent: 'gemini-cli',
  mode: 'document',
  roots: chatRoots,
  isLogFile(relativePath: string): boolean {
    const parts = relativePath.split(/[\\/]/);
    return parts.length === 3 && parts[1] === 'chats' && parts[2].startsWith('session-') && parts[2].endsWith('.json');
  },
  descend: (relativeFolder: string) => chatsFolderDepth(relativeFolder) <= 2,
  createParser(file, sink, options, saved) {
    return new GeminiDocumentParser(file, sink, options, saved as GeminiState | undefined);
  },
};

/** `<project>/chats/**.jsonl`, the append-only format (main sessions and subagents). */
export const geminiLogSource: AgentSource = {
  agent: 'gemini-cli',
  roots: chatRoots,
  isLogFile(relativePath: string): boolean {
    const parts = relativePath.split(/[\\/]/);
    return (parts.length === 3 || parts.length === 4) && parts[1] === 'chats' && relativePath.endsWith('.jsonl');
  },
  descend: (relativeFolder: string) => chatsFolderDepth(relativeFolder) <= 3,
  createParser(file, sink, options, saved) {
    return new GeminiLogParser(file, sink, options, saved as GeminiState | undefined);
  },
};

/**
 * Whether a chat file's `projectHash` is the hash of `folder`: gemini-cli hashes the project root
 * with sha256 (hex; 16 characters in early versions, 64 later; lower-cased first on Windows). For
 * sessions whose folder has no `.project_root` marker, this is how a workspace recognises them.
 */
export function geminiProjectHashMatches(projectHash: string, folder: string, platform: string = process.platform): boolean {
  if (projectHash.length < 16) return false;
  const hash = (p: string) => hexDigest('sha256', p);
  const candidates = platform === 'win32' ? [folder, folder.toLowerCase()] : [folder];
  return candidates.some((c) => hash(c).startsWith(projectHash.toLowerCase()));
}

interface GeminiState {
  sessionId?: string;
  cwd?: string;
  projectHash?: string;
  /** Activity already emitted (message ids, `callId:status`), so copies and rewrites emit once. */
  seen?: string[];
}

/** 512: far more tool calls and turns than a rewrite or a re-appended message repeats. */
const SEEN_MEMORY = 512;

/** What both formats share: one message at a time into usage and activity. */
class GeminiMessages {
  sessionId: string | undefined;
  cwd: string | undefined;
  projectHash: string | undefined;
  private readonly seen: Set<string>;
  /** A subagent's file lives in `chats/<parentSessionId>/`: its spending is the parent's. */
  private readonly parentSessionId: string | undefined;
  private readonly fallbackSessionId: string;
  private announced: boolean;

  constructor(
    private readonly file: string,
    private readonly sink: ParseSink,
    private readonly options: ParserOptions,
    saved: GeminiState | undefined,
  ) {
    this.sessionId = saved?.sessionId;
    this.projectHash = saved?.projectHash;
    this.seen = new Set(saved?.seen);
    this.announced = saved?.sessionId !== undefined;
    const folder = path.basename(path.dirname(file));
    this.parentSessionId = folder === 'chats' ? undefined : folder;
    const chats = this.parentSessionId ? path.dirname(path.dirname(file)) : path.dirname(file);
    this.cwd = saved?.cwd ?? projectRoot(path.dirname(chats));
    this.fallbackSessionId = path.basename(file).replace(/\.jsonl?$/, '');
  }

  saveState(): GeminiState {
    return { sessionId: this.sessionId, cwd: this.cwd, projectHash: this.projectHash, seen: [...this.seen].slice(-SEEN_MEMORY) };
  }

  /** The session the ledger files usage under (a subagent's parent). */
  private session(): string {
    return this.parentSessionId ?? this.sessionId ?? this.fallbackSessionId;
  }

  metadata(record: Record<string, unknown>): void {
    if (typeof record.sessionId === 'string' && record.sessionId) this.sessionId = record.sessionId;
    if (typeof record.projectHash === 'string') this.projectHash = record.projectHash;
  }

  message(m: Record<string, unknown>, offset: number | undefined): void {
    const id = m.id as string;
    const timestamp = typeof m.timestamp === 'string' ? Date.parse(m.timestamp) : NaN;
    const sessionId = this.session();
    if (this.options.activity && !this.announced && this.cwd !== undefined && !Number.isNaN(timestamp)) {
      this.announced = true;
      this.sink.activity?.({ kind: 'session', agent: 'gemini-cli', sessionId, timestamp, cwd: this.cwd });
    }
    if (m.type === 'user') {
      // Tool results are `user` messages too (gemini-cli 0.61: `content: [{ functionResponse }]`),
      // one per call; only a message with text is someone asking for work.
      if (this.options.activity && !Number.isNaN(timestamp) && hasText(m.content) && this.once(`u:${id}`)) this.sink.activity?.({ kind: 'userTurn', agent: 'gemini-cli', sessionId, timestamp });
      return;
    }
    if (m.type !== 'gemini') return; // info, error, warning: nothing billed
    if (typeof m.tokens === 'object' && m.tokens !== null) this.usage(m, id, sessionId, timestamp, offset);
    if (this.options.activity && Array.isArray(m.toolCalls)) this.tools(m.toolCalls as Array<Record<string, unknown>>, sessionId, timestamp);
  }

  /**
   * `tokens` is the call's usageMetadata (gemini-cli `recordMessageTokens`): input =
   * promptTokenCount, which includes cached = cachedContentTokenCount; output =
   * candidatesTokenCount; thoughts = thoughtsTokenCount, billed at the output rate; tool =
   * toolUsePromptTokenCount, the prompt of built-in tools (search grounding, code execution),
   * outside promptTokenCount (total = input + output + thoughts + tool) and billed as input.
   */
  private usage(m: Record<string, unknown>, id: string, sessionId: string, timestamp: number, offset: number | undefined): void {
    const t = m.tokens as Record<string, unknown>;
    const input = tokenCount(t.input);
    const output = tokenCount(t.output);
    const cached = tokenCount(t.cached);
    const thoughts = tokenCount(t.thoughts);
    const tool = tokenCount(t.tool);
    if (input === undefined || output === undefined || cached === undefined || thoughts === undefined || tool === undefined || Number.isNaN(timestamp)) {
      this.sink.skip({ reason: 'bad-usage', file: this.file, offset, detail: Number.isNaN(timestamp) ? 'no timestamp' : 'token counts are not whole numbers' });
      return;
    }
    if (input + output + thoughts + tool === 0) return;
    const cacheRead = Math.min(cached, input);
    this.sink.usage({
      agent: 'gemini-cli',
      sessionId,
      key: `gemini:${this.sessionId ?? this.fallbackSessionId}:${id}`,
      timestamp,
      model: typeof m.model === 'string' && m.model ? m.model : 'unknown',
      inputTokens: input - cacheRead + tool,
      outputTokens: output + thoughts,
      cacheWrite5mTokens: 0,
      cacheWrite1hTokens: 0,
      cacheReadTokens: cacheRead,
      reasoningOutputTokens: thoughts,
    });
    if (this.options.activity) this.sink.activity?.({ kind: 'context', agent: 'gemini-cli', sessionId, timestamp, contextTokens: input + tool + output + thoughts });
  }

  private tools(calls: Array<Record<string, unknown>>, sessionId: string, messageTime: number): void {
    for (const call of calls) {
      if (typeof call?.name !== 'string') continue;
      const callId = typeof call.id === 'string' ? call.id : '';
      const at = typeof call.timestamp === 'string' ? Date.parse(call.timestamp) : messageTime;
      if (Number.isNaN(at)) continue;
      if (this.once(`c:${callId || stableHash(call.args)}`)) {
        this.sink.activity?.({ kind: 'toolCall', agent: 'gemini-cli', sessionId, timestamp: at, name: call.name, argsHash: stableHash(call.args), callId });
      }
      if (call.status === 'error' && this.once(`e:${callId}`)) {
        this.sink.activity?.({ kind: 'toolError', agent: 'gemini-cli', sessionId, timestamp: at, name: call.name, errorHash: errorHash(resultText(call)), callId });
      }
    }
  }

  private once(key: string): boolean {
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    if (this.seen.size > SEEN_MEMORY) this.seen.delete(this.seen.values().next().value as string);
    return true;
  }
}

class GeminiDocumentParser implements FileParser {
  private readonly messages: GeminiMessages;

  constructor(
    private readonly file: string,
    private readonly sink: ParseSink,
    options: ParserOptions,
    saved: GeminiState | undefined,
  ) {
    this.messages = new GeminiMessages(file, sink, options, saved);
  }

  saveState(): GeminiState {
    return this.messages.saveState();
  }

  parse(buf: Buffer, end: number): number {
    const record = parseDocument(buf.toString('utf8', 0, end), this.file, this.sink, isSessionDocument, 'no messages array');
    if (!record) return 0;
    this.messages.metadata(record);
    for (const m of record.messages) {
      if (typeof m === 'object' && m !== null && typeof (m as { id?: unknown }).id === 'string') this.messages.message(m as Record<string, unknown>, undefined);
    }
    return end;
  }
}

const P_TOKENS = Buffer.from('"tokens"');
const P_SESSION = Buffer.from('"sessionId"');
const P_TOOL_CALLS = Buffer.from('"toolCalls"');
const P_USER = Buffer.from('"type":"user"');
const USAGE_ONLY = [P_TOKENS, P_SESSION];
const WITH_ACTIVITY = [P_TOKENS, P_SESSION, P_TOOL_CALLS, P_USER];

class GeminiLogParser implements FileParser, JsonLineReader {
  private readonly messages: GeminiMessages;

  constructor(
    private readonly file: string,
    private readonly sink: ParseSink,
    private readonly options: ParserOptions,
    saved: GeminiState | undefined,
  ) {
    this.messages = new GeminiMessages(file, sink, options, saved);
  }

  saveState(): GeminiState {
    return this.messages.saveState();
  }

  parse(buf: Buffer, end: number, base: number): number {
    return scanJsonLines(buf, end, base, this.options.activity ? WITH_ACTIVITY : USAGE_ONLY, this);
  }

  selectLine(buf: Buffer, start: number, end: number, matches: number): string | undefined {
    return matches === 0 ? undefined : utf8Text(buf, start, end);
  }

  readRecord(r: Record<string, unknown>, offset: number): void {
    // `$rewindTo` hides messages from the conversation, but their calls were billed: ignored.
    // `$set.messages` restates existing messages (masking); their usage lines came first.
    if (typeof r.id === 'string') this.messages.message(r, offset);
    else if (typeof r.$set === 'object' && r.$set !== null) this.messages.metadata(r.$set as Record<string, unknown>);
    else this.messages.metadata(r);
  }

  skipLine(reason: LineSkipReason, offset: number): void {
    this.sink.skip({ reason, file: this.file, offset });
  }
}

/** The project folder recorded in `<tmp>/<slug>/.project_root` (gemini-cli `projectRegistry.ts`). */
function projectRoot(projectTempDir: string): string | undefined {
  try {
    const text = fs.readFileSync(path.join(projectTempDir, '.project_root'), 'utf8').trim();
    return text || undefined;
  } catch {
    return undefined;
  }
}

/** Whether a user message's content (a string, or Gemini API parts) carries text, not only tool results. */
function hasText(content: unknown): boolean {
  if (typeof content === 'string') return content.trim() !== '';
  if (!Array.isArray(content)) return false;
  return content.some((p) => typeof p === 'string' || (typeof p === 'object' && p !== null && typeof (p as { text?: unknown }).text === 'string'));
}

function resultText(call: Record<string, unknown>): string {
  if (typeof call.resultDisplay === 'string') return call.resultDisplay;
  try {
    return JSON.stringify(call.result ?? '');
  } catch {
    return '';
  }
}

function isSessionDocument(doc: unknown): doc is Record<string, unknown> & { messages: unknown[] } {
  return isRecord(doc) && Array.isArray(doc.messages);
}
