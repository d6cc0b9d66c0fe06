/**
 * A read-only SQLite reader in plain TypeScript: enough of the file format
 * (https://www.sqlite.org/fileformat2.html) to scan rowid tables whole, with the write-ahead log
 * applied. No native module (the editor's Node has no `node:sqlite`) and no WASM: sql.js starts
 * asynchronously, and a source's parser must answer synchronously. It reads what OpenCode's
 * `opencode.db` needs (full scans of three tables) and nothing more: no indexes, no queries.
 */

export class SqliteFormatError extends Error {}

const HEADER = 'SQLite format 3\u0000';

/** A value of a record: SQLite's NULL, integer, real, text or blob. */
export type SqlValue = null | number | string | Uint8Array;

/**
 * The database image with the committed frames of its write-ahead log (`<db>-wal`) applied, as a
 * reader that opens both would see it. OpenCode keeps the database in WAL mode, so everything since
 * the last checkpoint (the live session) is only in the log. Frames are valid while their salts
 * match the log header and their checksums chain; pages count up to the last commit frame.
 */
export function applyWal(db: Uint8Array, wal: Uint8Array | undefined): Uint8Array {
  if (!wal || wal.length < 32) return db;
  const view = new DataView(wal.buffer, wal.byteOffset, wal.byteLength);
  const magic = view.getUint32(0);
  if (magic !== 0x377f0682 && magic !== 0x377f0683) return db;
  const bigEndian = magic === 0x377f0683;
  const pageSize = view.getUint32(8) || 65536;
  const salt1 = view.getUint32(16);
  const salt2 = view.getUint32(20);
  let [s0, s1] = checksum(wal, 0, 24, 0, 0, bigEndian);
  if (s0 !== view.getUint32(24) || s1 !== view.getUint32(28)) return db;
  const committed = new Map<number, number>(); // page number → offset of its page data in the log
  const pending = new Map<number, number>();
  let pages = 0;
  for (let at = 32; at + 24 + pageSize <= wal.length; at += 24 + pageSize) {
    if (view.getUint32(at + 8) !== salt1 || view.getUint32(at + 12) !== salt2) break;
    [s0, s1] = checksum(wal, at, 8, s0, s1, bigEndian);
    [s0, s1] = checksum(wal, at + 24, pageSize, s0, s1, bigEndian);
    if (s0 !== view.getUint32(at + 16) || s1 !== view.getUint32(at + 20)) break;
    pending.set(view.getUint32(at), at + 24);
    const commitPages = view.getUint32(at + 4);
    if (commitPages > 0) {
      for (const [page, offset] of pending) committed.set(page, offset);
      pending.clear();
      pages = commitPages;
    }
  }
  if (pages === 0) return db;
  const out = new Uint8Array(pages * pageSize);
  out.set(db.subarray(0, Math.min(db.length, out.length)));
  for (const [page, offset] of committed) {
    if (page >= 1 && page <= pages) out.set(wal.subarray(offset, offset + pageSize), (page - 1) * pageSize);
  }
  return out;
}

/** The WAL checksum: over 32-bit words in the log's byte order, two running sums. */
function checksum(buf: Uint8Array, start: number, length: number, s0: number, s1: number, bigEndian: boolean): [number, number] {
  const view = new DataView(buf.buffer, buf.byteOffset + start, length);
  for (let i = 0; i + 8 <= length; i += 8) {
    s0 = (s0 + view.getUint32(i, !bigEndian) + s1) >>> 0;
    s1 = (s1 + view.getUint32(i + 4, !bigEndian) + s0) >>> 0;
  }
  return [s0, s1];
}

/** A read-only view of one database image. */
export class SqliteReader {
  private readonly view: DataView;
  private readonly pageSize: number;
  private readonly usable: number;
  private readonly pageCount: number;
  private schema: Map<string, { root: number; columns: string[] }> | undefined;

  constructor(private readonly buf: Uint8Array) {
    if (buf.length < 100 || new TextDecoder('latin1').decode(buf.subarray(0, 16)) !== HEADER) throw new SqliteFormatError('not an SQLite database');
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const size = this.view.getUint16(16);
    this.pageSize = size === 1 ? 65536 : size;
    this.usable = this.pageSize - buf[20];
    this.pageCount = Math.floor(buf.length / this.pageSize);
  }

  /** Whether the database has a table of that name. */
  hasTable(name: string): boolean {
    return this.tables().has(name);
  }

  /**
   * Every row of a rowid table as an object keyed by column name. Columns added later by
   * `ALTER TABLE … ADD COLUMN` are missing from older rows: they read as null.
   */
  *rows(table: string): Generator<Record<string, SqlValue>> {
    const t = this.tables().get(table);
    if (!t) return;
    for (const values of this.scan(t.root, new Set())) {
      const row: Record<string, SqlValue> = {};
      t.columns.forEach((c, i) => (row[c] = values[i] ?? null));
      yield row;
    }
  }

  private tables(): Map<string, { root: number; columns: string[] }> {
    if (this.schema) return this.schema;
    this.schema = new Map();
    for (const [type, name, , root, sql] of this.scan(1, new Set())) {
      if (type === 'table' && typeof name === 'string' && typeof root === 'number' && typeof sql === 'string' && !/\)\s*WITHOUT\s+ROWID\s*;?\s*$/i.test(sql)) {
        this.schema.set(name, { root, columns: columnNames(sql) });
      }
    }
    return this.schema;
  }

  /** The records of a table b-tree, in rowid order; a page seen twice (a corrupt loop) stops it. */
  private *scan(page: number, seen: Set<number>): Generator<SqlValue[]> {
    if (page < 1 || page > this.pageCount || seen.has(page)) throw new SqliteFormatError(`bad page ${page}`);
    seen.add(page);
    const base = (page - 1) * this.pageSize;
    const header = page === 1 ? base + 100 : base;
    const kind = this.buf[header];
    const cells = this.view.getUint16(header + 3);
    if (kind === 0x05) {
      for (let i = 0; i < cells; i++) {
        const cell = base + this.view.getUint16(header + 12 + 2 * i);
        yield* this.scan(this.view.getUint32(cell), seen);
      }
      yield* this.scan(this.view.getUint32(header + 8), seen);
    } else if (kind === 0x0d) {
      for (let i = 0; i < cells; i++) yield this.leafCell(base + this.view.getUint16(header + 8 + 2 * i), seen);
    } else {
      throw new SqliteFormatError(`page ${page} is not a table page`);
    }
  }

  private leafCell(at: number, seen: Set<number>): SqlValue[] {
    const [payloadSize, n1] = this.varint(at);
    const [, n2] = this.varint(at + n1); // rowid
    const start = at + n1 + n2;
    // How much of the payload stays on the page (fileformat2 §1.6, table leaf cells).
    const max = this.usable - 35;
    let payload: Uint8Array;
    if (payloadSize <= max) {
      payload = this.buf.subarray(start, start + payloadSize);
    } else {
      const min = Math.floor(((this.usable - 12) * 32) / 255) - 23;
      let local = min + ((payloadSize - min) % (this.usable - 4));
      if (local > max) local = min;
      payload = new Uint8Array(payloadSize);
      payload.set(this.buf.subarray(start, start + local));
      let filled = local;
      let next = this.view.getUint32(start + local);
      while (filled < payloadSize) {
        if (next < 1 || next > this.pageCount || seen.has(-next)) throw new SqliteFormatError('bad overflow chain');
        seen.add(-next);
        const page = (next - 1) * this.pageSize;
        const take = Math.min(payloadSize - filled, this.usable - 4);
        payload.set(this.buf.subarray(page + 4, page + 4 + take), filled);
        filled += take;
        next = this.view.getUint32(page);
      }
    }
    return record(payload);
  }

  private varint(at: number): [number, number] {
    let value = 0;
    for (let i = 0; i < 8; i++) {
      const b = this.buf[at + i];
      value = value * 128 + (b & 0x7f);
      if (b < 0x80) return [value, i + 1];
    }
    return [value * 256 + this.buf[at + 8], 9];
  }
}

const utf8 = new TextDecoder('utf-8');

/** Decodes a record (fileformat2 §2.1): a header of serial types, then the values. */
function record(p: Uint8Array): SqlValue[] {
  const view = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const varint = (at: number): [number, number] => {
    let value = 0;
    for (let i = 0; i < 8; i++) {
      const b = p[at + i];
      value = value * 128 + (b & 0x7f);
      if (b < 0x80) return [value, i + 1];
    }
    return [value * 256 + p[at + 8], 9];
  };
  const [headerSize, n] = varint(0);
  const types: number[] = [];
  for (let at = n; at < headerSize; ) {
    const [t, m] = varint(at);
    types.push(t);
    at += m;
  }
  const out: SqlValue[] = [];
  let at = headerSize;
  for (const t of types) {
    if (t === 0) out.push(null);
    else if (t >= 1 && t <= 6) {
      const len = [0, 1, 2, 3, 4, 6, 8][t];
      let v = 0;
      for (let i = 0; i < len; i++) v = v * 256 + p[at + i];
      if (p[at] & 0x80) v -= 2 ** (8 * len); // two's complement
      out.push(v);
      at += len;
    } else if (t === 7) {
      out.push(view.getFloat64(at));
      at += 8;
    } else if (t === 8 || t === 9) out.push(t === 8 ? 0 : 1);
    else if (t >= 12) {
      const len = Math.floor((t - (t % 2 === 0 ? 12 : 13)) / 2);
      out.push(t % 2 === 0 ? p.slice(at, at + len) : utf8.decode(p.subarray(at, at + len)));
      at += len;
    } else throw new SqliteFormatError(`reserved serial type ${t}`);
  }
  return out;
}

/** Column names of a CREATE TABLE statement, in order (constraints skipped). */
export function columnNames(sql: string): string[] {
  const open = sql.indexOf('(');
  const close = sql.lastIndexOf(')');
  if (open < 0 || close < open) return [];
  const body = sql.slice(open + 1, close);
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  let quote = '';
  for (const ch of body) {
    if (quote) {
      if (ch === quote) quote = '';
    } else if (ch === '"' || ch === '`' || ch === "'" || ch === '[') quote = ch === '[' ? ']' : ch;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  parts.push(current);
  const names: string[] = [];
  for (const part of parts) {
    const m = /^\s*(?:"([^"]+)"|`([^`]+)`|\[([^\]]+)\]|([A-Za-z_][\w$]*))/.exec(part);
    if (!m) continue;
    const name = m[1] ?? m[2] ?? m[3] ?? m[4];
    if (!m[1] && !m[2] && !m[3] && /^(CONSTRAINT|PRIMARY|UNIQUE|CHECK|FOREIGN)$/i.test(name)) continue;
    names.push(name);
  }
  return names;
}
