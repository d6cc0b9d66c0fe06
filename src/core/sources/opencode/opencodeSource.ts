import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Provider } from '../../pricing/pricer';
import { tokenCount } from '../claude/claudeSource';
import type { AgentSource, FileParser, SourceEnv } from '../source';
import type { ParseSink } from '../types';
import { applyWal, SqliteReader, type SqlValue } from './sqliteReader';

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
 * for messages with no step-finish part (the oldest versions wrote none).
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
  createParser(file, sink) {
    return new StorageMessageParser(file, sink);
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
  createParser(file, sink) {
    return new DatabaseParser(file, sink);
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
}

/** One `storage/message/<sessionID>/<messageID>.json`, with its parts and session read alongside. */
class StorageMessageParser implements FileParser {
  private state: StorageState = {};

  constructor(
    private readonly file: string,
    private readonly sink: ParseSink,
  ) {}

  saveState(): StorageState {
    return this.state;
  }

  parse(buf: Buffer, end: number): number {
    let doc: unknown;
    try {
      doc = JSON.parse(buf.toString('utf8', 0, end));
    } catch {
      this.sink.skip({ reason: 'malformed-json', file: this.file, offset: 0, detail: 'not a complete JSON document' });
      return 0;
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
      this.sink.skip({ reason: 'not-an-object', file: this.file, offset: 0, detail: 'not a message object' });
      return 0;
    }
    const info = doc as Record<string, unknown>;
    const storage = path.dirname(path.dirname(path.dirname(this.file)));
    const sessionId = str(info.sessionID) ?? path.basename(path.dirname(this.file));
    const messageId = str(info.id) ?? path.basename(this.file, '.json');
    const lookup = (id: string) => storageSession(storage, id);
    const root = rootOf(sessionId, lookup);
    this.state = { sessionId: root, cwd: lookup(root)?.cwd ?? lookup(sessionId)?.cwd ?? cwdOf(info) };
    if (info.role !== 'assistant') return end;
    emitUsage({ id: messageId, sessionId, info, steps: storageSteps(storage, messageId) }, root, this.sink, this.file);
    return end;
  }
}

/** The step-finish parts in `storage/part/<messageID>/`, in part-id order. */
function storageSteps(storage: string, messageId: string): Array<Record<string, unknown>> {
  const dir = path.join(storage, 'part', messageId);
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.json')).sort();
  } catch {
    return [];
  }
  const steps: Array<Record<string, unknown>> = [];
  for (const name of names) {
    let text: string;
    try {
      text = fs.readFileSync(path.join(dir, name), 'utf8');
    } catch {
      continue;
    }
    if (!text.includes('"step-finish"')) continue; // text and tool parts are most of the bytes
    const part = parseObject(text);
    if (part?.type === 'step-finish') steps.push(part);
  }
  return steps;
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
}

/** `opencode.db` (or its `-wal`): the whole database, read with the log applied. */
class DatabaseParser implements FileParser {
  private state: DatabaseState = {};

  constructor(
    private readonly file: string,
    private readonly sink: ParseSink,
  ) {}

  saveState(): DatabaseState {
    return this.state;
  }

  parse(buf: Buffer, end: number): number {
    const isWal = this.file.endsWith('-wal');
    const dbFile = isWal ? this.file.slice(0, -4) : this.file;
    const db = isWal ? readBytes(dbFile) : buf.subarray(0, end);
    const wal = isWal ? buf.subarray(0, end) : readBytes(`${dbFile}-wal`);
    if (!db) {
      this.sink.skip({ reason: 'unreadable-file', file: dbFile, detail: 'the database of this log is missing' });
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
    const steps = new Map<string, Array<{ id: string; part: Record<string, unknown> }>>();
    for (const p of reader.rows('part')) {
      if (typeof p.data !== 'string' || !p.data.includes('"step-finish"') || typeof p.message_id !== 'string' || typeof p.id !== 'string') continue;
      const part = parseObject(p.data);
      if (part?.type !== 'step-finish') continue;
      let list = steps.get(p.message_id);
      if (!list) steps.set(p.message_id, (list = []));
      list.push({ id: p.id, part });
    }
    const messages: Array<{ id: string; sessionId: string; data: string }> = [];
    for (const m of reader.rows('message')) {
      if (typeof m.id === 'string' && typeof m.session_id === 'string' && typeof m.data === 'string' && m.data.includes('"assistant"')) messages.push({ id: m.id, sessionId: m.session_id, data: m.data });
    }
    // Message ids ascend with time: an original comes before its fork's copy, which then ties and loses.
    messages.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const lookup = (id: string) => sessions.get(id);
    for (const m of messages) {
      const info = parseObject(m.data);
      if (!info) {
        this.sink.skip({ reason: 'malformed-json', file: this.file, detail: `message ${m.id}` });
        continue;
      }
      if (info.role !== 'assistant') continue;
      const parts = (steps.get(m.id) ?? []).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((s) => s.part);
      emitUsage({ id: m.id, sessionId: m.sessionId, info, steps: parts }, rootOf(m.sessionId, lookup), this.sink, this.file);
    }
    const known = [...sessions].filter(([, s]) => s.cwd && !s.parentId).map(([sessionId, s]) => ({ sessionId, cwd: s.cwd as string, updated: s.updated }));
    known.sort((a, b) => b.updated - a.updated);
    this.state = { sessionId: known[0]?.sessionId, cwd: known[0]?.cwd, sessions: known.map(({ sessionId, cwd }) => ({ sessionId, cwd })) };
  }
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

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value ? value : undefined;
}

function text(value: SqlValue | undefined): string | undefined {
  return typeof value === 'string' && value ? value : undefined;
}
