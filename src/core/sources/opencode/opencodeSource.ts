import fs = require('node:fs');
import path = require('node:path');
import type { Provider } from '../../pricing/pricer';
import { isRecord, num, str, tokenCount } from '../../util/json';
import type { AgentSource, FileParser, ParserOptions, SourceEnv } from '../source';
import type { ParseSink } from '../types';
import { isOpen, messageActivity, type ActivityMessage } from './activity';
import { applyWal, SqliteReader, type SqlValue } from './sqliteReader';
import { parseDocument } from '../document';

/**
 * OpenCode (sst/opencode, now anomalyco/opencode): `$XDG_DATA_HOME/opencode` (else
 * `~/.local/share/opencode`, on every platform: `Global.Path.data` uses xdg-basedir). Two stores:
 * - `storage/` (older versions, JSON files rewritten whole): `session/<projectID>/<sessionID>.json`
 *   (`directory`, `parentID`), `message/<sessionID>/<messageID>.json` and
 *   `part/<messageID>/<partID>.json`;
 * - `opencode.db` (newer versions, SQLite in WAL mode; `opencode-<channel>.db` for other release
 *   channels): tables `session`, `message` and `part`, each row's JSON in `data` without its ids.
 *   On first start the newer version copies `storage/` into the database with the same ids and
 *   leaves the files in place (opencode `storage/json-migration.ts`).
 * One model call is one `step-finish` part (`tokens`, `cost`); the assistant message's `tokens` is
 * only the last step's (opencode `session/processor.ts`: `cost +=`, `tokens =`), so it is used only
 * for messages with no step-finish part (the oldest versions wrote none). Activity (turns, tool
 * calls and errors, compactions, context) comes from the same messages and parts: see `activity.ts`.
 */
function dataRoots(env: SourceEnv): string[] {
  const xdg = env.vars.XDG_DATA_HOME?.trim();
  return [path.join(xdg || path.join(env.home, '.local', 'share'), 'opencode')];
}

/** `storage/message/<sessionID>/<messageID>.json`: one message, re-read whole (document mode). */
export const opencodeStorageSource: AgentSource = {
  agent: 'opencode',
  mode: 'document',
  roots: dataRoots,
  isLogFile(relativePath: string): boolean {
    const parts = relativePath.split(/[\\/]/);
    return parts.length === 4 && parts[0] === 'storage' && parts[1] === 'message' && parts[3].endsWith('.json');
  },
  // Only storage/message/<session>: the data folder also holds every part, diff and git snapshot.
  descend(relativeFolder: string): boolean {
    const parts = relativeFolder.split(/[\\/]/);
    return parts[0] === 'storage' && (parts.length === 1 || (parts[1] === 'message' && parts.length <= 3));
  },
  createParser(file, sink, options, saved) {
    return new StorageMessageParser(file, sink, options, saved as StorageState | undefined);
  },
};

/**
 * `opencode.db` and its write-ahead log `opencode.db-wal`: both are log files, each read as the
 * database with the log applied, because a live session's rows are only in the log until a
 * checkpoint, which is when the database file itself changes. Both copies of a request carry the
 * same key, so it is counted once.
 */
export const opencodeDbSource: AgentSource = {
  agent: 'opencode',
  mode: 'document',
  // 1 GiB: a database holds every session; 134 MB has been reported, and it is read only on change.
  maxDocumentBytes: 1024 * 1024 * 1024,
  roots: dataRoots,
  isLogFile(relativePath: string): boolean {
    return /^opencode(-[A-Za-z0-9._-]+)?\.db(-wal)?$/.test(relativePath);
  },
  descend: () => false,
  createParser(file, sink, options, saved) {
    return new DatabaseParser(file, sink, options, saved as DatabaseState | undefined);
  },
};

/** What one assistant message contributes, from either store. */
interface AssistantMessage {
  readonly id: string;
  readonly sessionId: string;
  readonly info: Record<string, unknown>;
  /** Its `step-finish` parts, in part-id (creation) order. */
  readonly steps: ReadonlyArray<Record<string, unknown>>;
}

/** OpenCode provider ids billed at the model maker's list prices; every other id is unpriced. */
const PROVIDER_PRICES: Readonly<Record<string, Provider>> = { anthropic: 'anthropic', openai: 'openai', google: 'google' };

/**
 * The usage of one message: one record per step-finish part, or one for the message when it has
 * none. The key is the message's creation time, the step's place and its counts, not the ids: a
 * forked session copies the messages and parts of its parent under new ids (opencode
 * `Session.fork`) but keeps `time`, and those calls were billed once.
 */
function emitUsage(m: AssistantMessage, rootSession: string, sink: ParseSink, file: string): void {
  const created = num((m.info.time as Record<string, unknown> | undefined)?.created);
  if (created === undefined) {
    sink.skip({ reason: 'bad-usage', file, detail: `message ${m.id} has no time.created` });
    return;
  }
  const model = str(m.info.modelID) ?? 'unknown';
  const providerId = str(m.info.providerID);
  const sources = m.steps.length > 0 ? m.steps.map((s, i) => [s.tokens, String(i)] as const) : [[m.info.tokens, 'm'] as const];
  for (const [raw, step] of sources) {
    const t = tokensOf(raw);
    if (!t) {
      sink.skip({ reason: 'bad-usage', file, detail: `message ${m.id} step ${step}: token counts are not whole numbers` });
      continue;
    }
    const output = t.output + (t.reasoningInside ? 0 : t.reasoning);
    if (t.input + output + t.cacheRead + t.cacheWrite === 0) continue; // not finished yet
    sink.usage({
      agent: 'opencode',
      sessionId: rootSession,
      key: `opencode:${created}:${step}:${t.input}:${t.output}:${t.reasoning}:${t.cacheRead}:${t.cacheWrite}`,
      timestamp: created,
      model,
      inputTokens: t.input,
      outputTokens: output,
      cacheWrite5mTokens: t.cacheWrite,
      cacheWrite1hTokens: 0,
      cacheReadTokens: t.cacheRead,
      reasoningOutputTokens: t.reasoning,
      provider: providerId ? PROVIDER_PRICES[providerId] : undefined,
    });
  }
}

interface Tokens {
  input: number;
  output: number;
  reasoning: number;
  cacheRead: number;
  cacheWrite: number;
  /** Reasoning is already inside `output` (then it is not added again). */
  reasoningInside: boolean;
}

/**
 * OpenCode's `tokens`: `input` is the uncached input in every version (`Session.getUsage` takes the
 * cache reads and writes out of the SDK's count, or keeps Anthropic's, which excludes them).
 * `reasoning` is beside `output` since AI SDK 6 (`output: outputTokens - reasoningTokens`); before,
 * `output` was the SDK's `outputTokens`, which for OpenAI already held the reasoning. `total`, when
 * present, tells which: it is the provider's total, so it equals the parts with reasoning added
 * only when reasoning is outside `output`. Without `total`, reasoning is taken as outside.
 */
function tokensOf(raw: unknown): Tokens | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const t = raw as Record<string, unknown>;
  const cache = (typeof t.cache === 'object' && t.cache !== null ? t.cache : {}) as Record<string, unknown>;
  const input = tokenCount(t.input);
  const output = tokenCount(t.output);
  const reasoning = tokenCount(t.reasoning ?? 0);
  const cacheRead = tokenCount(cache.read ?? 0);
  const cacheWrite = tokenCount(cache.write ?? 0);
  if (input === undefined || output === undefined || reasoning === undefined || cacheRead === undefined || cacheWrite === undefined) return undefined;
  const total = num(t.total);
  const reasoningInside = reasoning > 0 && reasoning <= output && total === input + output + cacheRead + cacheWrite;
  return { input, output, reasoning, cacheRead, cacheWrite, reasoningInside };
}

/**
 * The context one request filled: its input (uncached, cache reads and writes) and its output,
 * reasoning included. That is OpenCode's own measure of a full window (`session/overflow.ts`
 * `isOverflow`: `tokens.total`, else input + output + cache read + cache write).
 */
function contextTokens(raw: unknown): number | undefined {
  const t = tokensOf(raw);
  if (!t) return undefined;
  return t.input + t.cacheRead + t.cacheWrite + t.output + (t.reasoningInside ? 0 : t.reasoning) || undefined;
}

interface SessionInfo {
  readonly parentId?: string;
  readonly cwd?: string;
}

/** The session a usage belongs to: the root of its parent chain (subagent sessions have a parent). */
function rootOf(sessionId: string, lookup: (id: string) => SessionInfo | undefined): string {
  let id = sessionId;
  for (let depth = 0; depth < 32; depth++) {
    const parent = lookup(id)?.parentId;
    if (!parent) break;
    id = parent;
  }
  return id;
}

interface StorageState {
  sessionId?: string;
  cwd?: string;
  /** Activity keys this message has emitted, while it can still change (see `isOpen`). */
  emitted?: string[];
  /** The message emitted all it ever will: its rewrites (pruning, summaries) emit nothing. */
  settled?: boolean;
}

/** One `storage/message/<sessionID>/<messageID>.json`, with its parts and session read alongside. */
class StorageMessageParser implements FileParser {
  private state: StorageState;

  constructor(
    private readonly file: string,
    private readonly sink: ParseSink,
    private readonly options: ParserOptions,
    saved: StorageState | undefined,
  ) {
    this.state = saved ?? {};
  }

  saveState(): StorageState {
    return this.state;
  }

  parse(buf: Buffer, end: number): number {
    const info = parseDocument(buf.toString('utf8', 0, end), this.file, this.sink, isRecord, 'not a message object');
    if (!info) return 0;
    const storage = path.dirname(path.dirname(path.dirname(this.file)));
    const sessionId = str(info.sessionID) ?? path.basename(path.dirname(this.file));
    const messageId = str(info.id) ?? path.basename(this.file, '.json');
    const lookup = (id: string) => storageSession(storage, id);
    const root = rootOf(sessionId, lookup);
    const { emitted, settled } = this.state;
    this.state = { sessionId: root, cwd: lookup(root)?.cwd ?? lookup(sessionId)?.cwd ?? cwdOf(info), emitted, settled };
    const activity = this.options.activity && !settled && (info.role === 'user' || info.role === 'assistant');
    if (info.role !== 'assistant' && !activity) return end;
    // Usage needs the step-finish parts; activity the tool parts too, and every part of a user message.
    const wanted = info.role === 'user' ? () => true : (text: string) => text.includes('"step-finish"') || (activity && text.includes('"tool"'));
    const parts = storageParts(storage, messageId, wanted);
    if (info.role === 'assistant') emitUsage({ id: messageId, sessionId, info, steps: parts.filter((p) => p.type === 'step-finish') }, root, this.sink, this.file);
    if (activity) {
      const first = info.role === 'user' && firstMessage(storage, sessionId) === messageId;
      this.activity({ id: messageId, info, parts, sessionId: root, child: root !== sessionId, first, cwd: this.state.cwd });
    }
    return end;
  }

  /**
   * Emits what this message has not emitted before. A user message is settled at once: its file
   * is written before its parts and rarely again, so one without parts yet counts as a turn.
   */
  private activity(m: ActivityMessage): void {
    const emitted = new Set(this.state.emitted);
    for (const { key, event } of messageActivity(m, true, contextTokens)) {
      if (emitted.has(key)) continue;
      emitted.add(key);
      this.sink.activity?.(event);
    }
    const settled = m.info.role === 'user' || !isOpen(m);
    this.state = { ...this.state, emitted: settled ? undefined : [...emitted], settled: settled || undefined };
  }
}

/** The parts in `storage/part/<messageID>/` whose text `wanted` accepts, parsed, in part-id order. */
function storageParts(storage: string, messageId: string, wanted: (text: string) => boolean): Array<Record<string, unknown>> {
  const dir = path.join(storage, 'part', messageId);
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.json')).sort();
  } catch {
    return [];
  }
  const parts: Array<Record<string, unknown>> = [];
  for (const name of names) {
    let text: string;
    try {
      text = fs.readFileSync(path.join(dir, name), 'utf8');
    } catch {
      continue;
    }
    if (!wanted(text)) continue; // text parts and tool output are most of the bytes
    const part = parseObject(text);
    if (part) parts.push({ ...part, id: str(part.id) ?? name.slice(0, -'.json'.length) });
  }
  return parts;
}

/** The first message of a session in the storage: message ids ascend with time. */
function firstMessage(storage: string, sessionId: string): string | undefined {
  try {
    const names = fs.readdirSync(path.join(storage, 'message', sessionId)).filter((n) => n.endsWith('.json'));
    return names.length > 0 ? names.sort()[0].slice(0, -'.json'.length) : undefined;
  } catch {
    return undefined;
  }
}

/** 4096 sessions: more than a year of daily use; the entries are a few short strings. */
const SESSION_CACHE = 4096;
const storageSessions = new Map<string, SessionInfo | undefined>();

/** `storage/session/<projectID>/<sessionID>.json`, found by listing the (few) project folders. */
function storageSession(storage: string, sessionId: string): SessionInfo | undefined {
  const cacheKey = `${storage}\n${sessionId}`;
  if (storageSessions.has(cacheKey)) return storageSessions.get(cacheKey);
  let found: SessionInfo | undefined;
  const sessions = path.join(storage, 'session');
  let projects: string[] = [];
  try {
    projects = fs.readdirSync(sessions);
  } catch {
    // no session folder: no folder and no parent known
  }
  for (const project of projects) {
    const info = readObject(path.join(sessions, project, `${sessionId}.json`));
    if (!info) continue;
    const worktree = str(readObject(path.join(storage, 'project', `${project}.json`))?.worktree);
    found = { parentId: str(info.parentID), cwd: str(info.directory) ?? (worktree !== '/' ? worktree : undefined) };
    break;
  }
  if (found) {
    if (storageSessions.size >= SESSION_CACHE) storageSessions.delete(storageSessions.keys().next().value as string);
    storageSessions.set(cacheKey, found);
  }
  return found;
}

interface DatabaseState {
  sessionId?: string;
  cwd?: string;
  /** Every session of the database with its folder (a document holding many sessions). */
  sessions?: Array<{ sessionId: string; cwd: string }>;
  activity?: ActivityMemory;
}

/**
 * What a database has emitted: nothing from messages created before `since` (emitted already, or
 * older than a first read looks), and the keys in `seen` from the messages at or after it.
 */
interface ActivityMemory {
  since: number;
  seen: string[];
}

/**
 * 12 hours, the host's window for live sessions: how far back a first read emits activity (a
 * database holds every session ever), and how long a message that never completes (OpenCode
 * killed mid-step) keeps the memory from moving on.
 */
const ACTIVITY_HISTORY_MS = 12 * 60 * 60 * 1000;

/**
 * The activity memory of each database, shared by the parsers of `opencode.db` and `-wal`: both
 * read the same content (the database with its log applied), each on its own file's changes, and
 * a session's events must come once from the two. Persisted with each file's state too, for restarts.
 */
const databaseMemory = new Map<string, ActivityMemory>();

/** A message row: its ids from the columns, the rest of it parsed from `data`. */
interface DatabaseMessage {
  readonly id: string;
  readonly sessionId: string;
  readonly info: Record<string, unknown>;
}

/** `opencode.db` (or its `-wal`): the whole database, read with the log applied. */
class DatabaseParser implements FileParser {
  private state: DatabaseState;
  private readonly dbFile: string;

  constructor(
    private readonly file: string,
    private readonly sink: ParseSink,
    private readonly options: ParserOptions,
    saved: DatabaseState | undefined,
  ) {
    this.dbFile = file.endsWith('-wal') ? file.slice(0, -4) : file;
    this.state = { ...saved, activity: newerMemory(saved?.activity, databaseMemory.get(this.dbFile)) };
  }

  saveState(): DatabaseState {
    return this.state;
  }

  parse(buf: Buffer, end: number): number {
    const isWal = this.file !== this.dbFile;
    const db = isWal ? readBytes(this.dbFile) : buf.subarray(0, end);
    const wal = isWal ? buf.subarray(0, end) : readBytes(`${this.dbFile}-wal`);
    if (!db) {
      this.sink.skip({ reason: 'unreadable-file', file: this.dbFile, detail: 'the database of this log is missing' });
      return 0;
    }
    let reader: SqliteReader;
    try {
      reader = new SqliteReader(applyWal(db, wal));
      if (!reader.hasTable('message') || !reader.hasTable('part') || !reader.hasTable('session')) {
        this.sink.skip({ reason: 'not-an-object', file: this.file, detail: 'no message, part or session table' });
        return 0;
      }
      this.read(reader);
    } catch (error) {
      // A checkpoint can rewrite pages between our reads of the two files: the next change re-reads.
      this.sink.skip({ reason: 'malformed-json', file: this.file, detail: `unreadable database: ${(error as Error).message}` });
      return 0;
    }
    return end;
  }

  private read(reader: SqliteReader): void {
    const projects = new Map<string, string>();
    if (reader.hasTable('project')) {
      for (const p of reader.rows('project')) if (typeof p.id === 'string' && typeof p.worktree === 'string' && p.worktree !== '/') projects.set(p.id, p.worktree);
    }
    const sessions = new Map<string, SessionInfo & { updated: number }>();
    for (const s of reader.rows('session')) {
      if (typeof s.id !== 'string') continue;
      const cwd = text(s.directory) ?? (typeof s.project_id === 'string' ? projects.get(s.project_id) : undefined);
      sessions.set(s.id, { parentId: text(s.parent_id), cwd, updated: typeof s.time_updated === 'number' ? s.time_updated : 0 });
    }
    const lookup = (id: string) => sessions.get(id);
    const { messages, firsts } = this.messages(reader);
    const memory = this.options.activity ? (this.state.activity ?? firstReadMemory(messages)) : undefined;
    const recent = memory ? recentMessages(messages, memory.since) : undefined;
    const { steps, parts } = readParts(reader, recent);
    for (const m of messages) {
      if (m.info.role !== 'assistant') continue;
      emitUsage({ id: m.id, sessionId: m.sessionId, info: m.info, steps: steps.get(m.id) ?? [] }, rootOf(m.sessionId, lookup), this.sink, this.file);
    }
    const where = (m: DatabaseMessage) => {
      const root = rootOf(m.sessionId, lookup);
      return { sessionId: root, child: root !== m.sessionId, first: firsts.get(m.sessionId) === m.id, cwd: lookup(root)?.cwd };
    };
    const activity = memory && recent ? this.activity(messages, recent, parts, memory, where) : this.state.activity;
    const known = [...sessions].filter(([, s]) => s.cwd && !s.parentId).map(([sessionId, s]) => ({ sessionId, cwd: s.cwd as string, updated: s.updated }));
    known.sort((a, b) => b.updated - a.updated);
    this.state = { sessionId: known[0]?.sessionId, cwd: known[0]?.cwd, sessions: known.map(({ sessionId, cwd }) => ({ sessionId, cwd })), activity };
    if (activity && activity !== databaseMemory.get(this.dbFile)) databaseMemory.set(this.dbFile, activity);
  }

  /**
   * The messages, in id order (ids ascend with time: an original comes before its fork's copy,
   * which then ties and loses), and each session's first message id. Without activity only the
   * assistant messages are parsed: the others carry no usage.
   */
  private messages(reader: SqliteReader): { messages: DatabaseMessage[]; firsts: Map<string, string> } {
    const messages: DatabaseMessage[] = [];
    const firsts = new Map<string, string>();
    for (const m of reader.rows('message')) {
      if (typeof m.id !== 'string' || typeof m.session_id !== 'string' || typeof m.data !== 'string') continue;
      const first = firsts.get(m.session_id);
      if (first === undefined || m.id < first) firsts.set(m.session_id, m.id);
      const assistant = m.data.includes('"assistant"');
      if (!assistant && !this.options.activity) continue;
      const info = parseObject(m.data);
      if (info) messages.push({ id: m.id, sessionId: m.session_id, info });
      else if (assistant) this.sink.skip({ reason: 'malformed-json', file: this.file, detail: `message ${m.id}` });
    }
    messages.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return { messages, firsts };
  }

  /**
   * Emits the events of the recent messages not in `memory`, and returns the new memory: it moves
   * on to the oldest message that can still change (or the newest one), and keeps the keys of the
   * messages from there on.
   */
  private activity(
    messages: readonly DatabaseMessage[],
    recent: ReadonlyMap<string, string>,
    parts: ReadonlyMap<string, Array<Record<string, unknown>>>,
    memory: ActivityMemory,
    where: (m: DatabaseMessage) => Pick<ActivityMessage, 'sessionId' | 'child' | 'first' | 'cwd'>,
  ): ActivityMemory {
    const seen = new Set(memory.seen);
    const keys: Array<{ created: number; key: string }> = [];
    let newest = memory.since;
    let firstOpen = Infinity;
    for (const m of messages) {
      const created = createdOf(m.info);
      if (created === undefined || !recent.has(m.id)) continue;
      const message: ActivityMessage = { id: m.id, info: m.info, parts: parts.get(m.id) ?? [], ...where(m) };
      for (const { key, event } of messageActivity(message, false, contextTokens)) {
        keys.push({ created, key });
        if (seen.has(key)) continue;
        seen.add(key);
        this.sink.activity?.(event);
      }
      newest = Math.max(newest, created);
      if (isOpen(message)) firstOpen = Math.min(firstOpen, created);
    }
    const since = Math.max(memory.since, newest - ACTIVITY_HISTORY_MS, Math.min(firstOpen, newest));
    return { since, seen: keys.filter((k) => k.created >= since).map((k) => k.key) };
  }
}

/** A first read looks back ACTIVITY_HISTORY_MS from the newest message. */
function firstReadMemory(messages: readonly DatabaseMessage[]): ActivityMemory {
  let newest = -Infinity;
  for (const m of messages) newest = Math.max(newest, createdOf(m.info) ?? -Infinity);
  return { since: Number.isFinite(newest) ? newest - ACTIVITY_HISTORY_MS : 0, seen: [] };
}

/** The messages activity reads (created at or after `since`), by id, with their role. */
function recentMessages(messages: readonly DatabaseMessage[], since: number): Map<string, string> {
  const recent = new Map<string, string>();
  for (const m of messages) {
    const created = createdOf(m.info);
    if (created !== undefined && created >= since) recent.set(m.id, String(m.info.role));
  }
  return recent;
}

/**
 * One pass over the parts: every message's step-finish parts (usage), and for the recent messages
 * (activity) their tool parts, or every part of a user message, with their ids.
 */
function readParts(reader: SqliteReader, recent: ReadonlyMap<string, string> | undefined): { steps: Map<string, Array<Record<string, unknown>>>; parts: Map<string, Array<Record<string, unknown>>> } {
  const steps = new Map<string, Array<Record<string, unknown>>>();
  const parts = new Map<string, Array<Record<string, unknown>>>();
  const add = (map: Map<string, Array<Record<string, unknown>>>, key: string, part: Record<string, unknown>) => {
    const list = map.get(key);
    if (list) list.push(part);
    else map.set(key, [part]);
  };
  for (const p of reader.rows('part')) {
    if (typeof p.data !== 'string' || typeof p.message_id !== 'string' || typeof p.id !== 'string') continue;
    const role = recent?.get(p.message_id);
    const step = p.data.includes('"step-finish"');
    if (!step && role !== 'user' && !(role === 'assistant' && p.data.includes('"tool"'))) continue;
    const part = parseObject(p.data);
    if (!part) continue;
    part.id = p.id;
    if (part.type === 'step-finish') add(steps, p.message_id, part);
    if (role) add(parts, p.message_id, part);
  }
  const byId = (a: Record<string, unknown>, b: Record<string, unknown>) => (String(a.id) < String(b.id) ? -1 : String(a.id) > String(b.id) ? 1 : 0);
  for (const list of steps.values()) list.sort(byId);
  for (const list of parts.values()) list.sort(byId);
  return { steps, parts };
}

/** Of two memories of one database, the one that has moved further, with the keys of both. */
function newerMemory(a: ActivityMemory | undefined, b: ActivityMemory | undefined): ActivityMemory | undefined {
  if (!a || !b) return a ?? b;
  return { since: Math.max(a.since, b.since), seen: [...new Set([...a.seen, ...b.seen])] };
}

function createdOf(info: Record<string, unknown>): number | undefined {
  const time = info.time;
  return typeof time === 'object' && time !== null ? num((time as Record<string, unknown>).created) : undefined;
}

function cwdOf(info: Record<string, unknown>): string | undefined {
  const p = info.path;
  return typeof p === 'object' && p !== null ? str((p as Record<string, unknown>).cwd) : undefined;
}

function readBytes(file: string): Uint8Array | undefined {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

function readObject(file: string): Record<string, unknown> | undefined {
  try {
    return parseObject(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function text(value: SqlValue | undefined): string | undefined {
  return typeof value === 'string' && value ? value : undefined;
}
