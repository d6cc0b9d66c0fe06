import { gunzipSync } from 'node:zlib';
import type { Scratch } from './fixtures';

/**
 * OpenCode fixtures written from the formats in anomalyco/opencode: MessageV2.Assistant and
 * StepFinishPart (`session/message-v2.ts`), the JSON storage layout (`storage/json-migration.ts`)
 * and the `session`, `message` and `part` tables (`session/session.sql.ts`).
 */
export interface OpencodeTokens {
  input: number;
  output: number;
  reasoning?: number;
  cache?: { read: number; write: number };
  total?: number;
}

/** The data folder (XDG default) relative to the scratch dir. */
export const OPENCODE_DATA = 'home/.local/share/opencode';

function tokens(t: OpencodeTokens): Record<string, unknown> {
  return { ...(t.total !== undefined ? { total: t.total } : {}), input: t.input, output: t.output, reasoning: t.reasoning ?? 0, cache: t.cache ?? { read: 0, write: 0 } };
}

export function opencodeAssistant(o: { id: string; sessionID: string; created: number; modelID?: string; providerID?: string; tokens?: OpencodeTokens; cwd?: string }): Record<string, unknown> {
  return {
    id: o.id,
    sessionID: o.sessionID,
    role: 'assistant',
    time: { created: o.created, completed: o.created + 5000 },
    parentID: `msg_user_${o.id}`,
    modelID: o.modelID ?? 'claude-sonnet-4-5-20250929',
    providerID: o.providerID ?? 'anthropic',
    mode: 'build',
    agent: 'build',
    path: { cwd: o.cwd ?? '/work/repo', root: o.cwd ?? '/work/repo' },
    cost: 0.01,
    tokens: tokens(o.tokens ?? { input: 0, output: 0 }),
    finish: 'stop',
  };
}

export function opencodeUser(o: { id: string; sessionID: string; created: number }): Record<string, unknown> {
  return { id: o.id, sessionID: o.sessionID, role: 'user', time: { created: o.created }, agent: 'build', model: { providerID: 'anthropic', modelID: 'claude-sonnet-4-5-20250929' } };
}

export function opencodeStepFinish(o: { id: string; sessionID: string; messageID: string; tokens: OpencodeTokens }): Record<string, unknown> {
  return { id: o.id, sessionID: o.sessionID, messageID: o.messageID, type: 'step-finish', reason: 'tool-calls', snapshot: 'abc123', cost: 0.001, tokens: tokens(o.tokens) };
}

export function opencodeSession(o: { id: string; projectID?: string; directory: string; parentID?: string }): Record<string, unknown> {
  return { id: o.id, slug: 'brave-otter', version: '0.15.0', projectID: o.projectID ?? 'prj_1', directory: o.directory, ...(o.parentID ? { parentID: o.parentID } : {}), title: 'A session', time: { created: 1, updated: 2 } };
}

/** Writes the JSON storage: session, messages and parts, each where OpenCode puts them. */
export function writeOpencodeStorage(scratch: Scratch, o: { sessions: Array<Record<string, unknown>>; messages: Array<Record<string, unknown>>; parts?: Array<Record<string, unknown>> }): void {
  const storage = `${OPENCODE_DATA}/storage`;
  for (const s of o.sessions) scratch.write(`${storage}/session/${String(s.projectID)}/${String(s.id)}.json`, JSON.stringify(s));
  for (const m of o.messages) scratch.write(`${storage}/message/${String(m.sessionID)}/${String(m.id)}.json`, JSON.stringify(m));
  for (const p of o.parts ?? []) scratch.write(`${storage}/part/${String(p.messageID)}/${String(p.id)}.json`, JSON.stringify(p));
}

// The schema of opencode's first migration (drizzle), as far as these tables go.
const SCHEMA = `
CREATE TABLE \`project\` (\`id\` text PRIMARY KEY, \`worktree\` text NOT NULL, \`vcs\` text, \`name\` text, \`time_created\` integer NOT NULL, \`time_updated\` integer NOT NULL, \`sandboxes\` text NOT NULL);
CREATE TABLE \`session\` (\`id\` text PRIMARY KEY, \`project_id\` text NOT NULL, \`parent_id\` text, \`slug\` text NOT NULL, \`directory\` text NOT NULL, \`title\` text NOT NULL, \`version\` text NOT NULL, \`share_url\` text, \`time_created\` integer NOT NULL, \`time_updated\` integer NOT NULL, \`time_compacting\` integer, \`time_archived\` integer, CONSTRAINT \`fk_session_project_id_project_id_fk\` FOREIGN KEY (\`project_id\`) REFERENCES \`project\`(\`id\`) ON DELETE CASCADE);
CREATE TABLE \`message\` (\`id\` text PRIMARY KEY, \`session_id\` text NOT NULL, \`time_created\` integer NOT NULL, \`time_updated\` integer NOT NULL, \`data\` text NOT NULL);
CREATE TABLE \`part\` (\`id\` text PRIMARY KEY, \`message_id\` text NOT NULL, \`session_id\` text NOT NULL, \`time_created\` integer NOT NULL, \`time_updated\` integer NOT NULL, \`data\` text NOT NULL);
CREATE INDEX \`message_session_idx\` ON \`message\` (\`session_id\`);
`;

interface SqlJsDatabase {
  run(sql: string, params?: unknown[]): void;
  exec(sql: string): unknown;
  export(): Uint8Array;
}
type SqlJs = { Database: new (data?: Uint8Array) => SqlJsDatabase };
let sqlJs: Promise<SqlJs> | undefined;

/** sql.js (a dev dependency) writes the test databases; the source reads them without it. */
export function loadSqlJs(): Promise<SqlJs> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  sqlJs ??= (require('sql.js') as () => Promise<SqlJs>)();
  return sqlJs;
}

/** Rows go in as OpenCode writes them: the ids in columns, the rest of the object in `data`. */
export async function opencodeDatabase(o: { sessions: Array<Record<string, unknown>>; messages: Array<Record<string, unknown>>; parts?: Array<Record<string, unknown>>; base?: Uint8Array; schema?: boolean }): Promise<Uint8Array> {
  const SQL = await loadSqlJs();
  const db = new SQL.Database(o.base);
  if (o.schema !== false && !o.base) db.exec(SCHEMA);
  db.run('INSERT OR IGNORE INTO project VALUES (?, ?, ?, ?, ?, ?, ?)', ['prj_1', '/', 'git', null, 1, 1, '[]']);
  for (const s of o.sessions) db.run('INSERT INTO session (id, project_id, parent_id, slug, directory, title, version, time_created, time_updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', [s.id, s.projectID ?? 'prj_1', s.parentID ?? null, 'slug', s.directory, 'title', '1.0.0', 1, 2]);
  for (const m of o.messages) {
    const { id, sessionID, ...data } = m;
    db.run('INSERT INTO message VALUES (?, ?, ?, ?, ?)', [id, sessionID, 1, 1, JSON.stringify(data)]);
  }
  for (const p of o.parts ?? []) {
    const { id, messageID, sessionID, ...data } = p;
    db.run('INSERT INTO part VALUES (?, ?, ?, ?, ?, ?)', [id, messageID, sessionID, 1, 1, JSON.stringify(data)]);
  }
  return db.export();
}

/**
 * A write-ahead log that turns image `before` into `after`: one frame per changed page, the last
 * one a commit frame, checksummed as SQLite does (fileformat2 §4.1, little-endian magic).
 */
export function walBetween(before: Uint8Array, after: Uint8Array, pageSize = 4096, salts: [number, number] = [0x1234, 0x5678]): Uint8Array {
  const changed: number[] = [];
  for (let page = 1; page * pageSize <= after.length; page++) {
    const a = after.subarray((page - 1) * pageSize, page * pageSize);
    const b = before.subarray((page - 1) * pageSize, page * pageSize);
    if (b.length !== a.length || !a.every((x, i) => x === b[i])) changed.push(page);
  }
  const out = new Uint8Array(32 + changed.length * (24 + pageSize));
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x377f0682);
  view.setUint32(4, 3007000);
  view.setUint32(8, pageSize);
  view.setUint32(16, salts[0]);
  view.setUint32(20, salts[1]);
  let [s0, s1] = sum(out, 0, 24, 0, 0);
  view.setUint32(24, s0);
  view.setUint32(28, s1);
  changed.forEach((page, n) => {
    const at = 32 + n * (24 + pageSize);
    view.setUint32(at, page);
    view.setUint32(at + 4, n === changed.length - 1 ? after.length / pageSize : 0);
    view.setUint32(at + 8, salts[0]);
    view.setUint32(at + 12, salts[1]);
    out.set(after.subarray((page - 1) * pageSize, page * pageSize), at + 24);
    [s0, s1] = sum(out, at, 8, s0, s1);
    [s0, s1] = sum(out, at + 24, pageSize, s0, s1);
    view.setUint32(at + 16, s0);
    view.setUint32(at + 20, s1);
  });
  return out;
}

function sum(buf: Uint8Array, start: number, length: number, s0: number, s1: number): [number, number] {
  const view = new DataView(buf.buffer, buf.byteOffset + start, length);
  for (let i = 0; i < length; i += 8) {
    s0 = (s0 + view.getUint32(i, true) + s1) >>> 0;
    s1 = (s1 + view.getUint32(i + 4, true) + s0) >>> 0;
  }
  return [s0, s1];
}

/**
 * A database and its WAL written by SQLite itself (Python's sqlite3, SQLite 3.40.1): `CREATE TABLE
 * m(id text primary key, data text)`, row ('a','1') checkpointed, then row ('b','2') only in the log.
 */
export const REAL_WAL_FIXTURE = {
  db: gunzipSync(Buffer.from('H4sIAAAAAAACA+3XsUoDQRDG8dm9GKIQxi7t2imIEMTOwijXpTGmPzbeCYtZo+cKyZPkyXwXxca7AxFs7MP/x0zxTTP1d3c7DalyD6s6+uTO5VCslSvnRMQ2m8kv02zvT/6PlbN7M9QPsboV3eq7AAAAAACAH5emP1I1IfnFsorR3szyyTx388n1NHfxOJQuVevknusQfb1xj9Xm1JU++e58cmT7ows1Ep7Kav36smwafuHf0qrLRSzGse31g/bRsC3y+inNAAAAAACAXbNnMlU/Puj6/5c0AwAAAAAAdk8v033/DbLqqUEAMAAA', 'base64')),
  wal: gunzipSync(Buffer.from('H4sIAAAAAAACA+3YMQ4BURDG8XnvWQkio5SIVqegEQegEI0j7HYKhVohEUdQKCQuoXCDjULnBDqNQkiIxnuSvcTm/0tmJvnmBl9vWVxJ+1oXqYln3ofNYNa/7xqLY2U+OTV9ZsMjy8et4f72nI6q4aEP0Y9fAAAAAAAgJyLrVJNuZPyJOz5wYbJeID2L2a4vafnfC7xEv34BAAAAAIAcVQNOTWILTkvxDw+4DK5QIAAA', 'base64')),
};
