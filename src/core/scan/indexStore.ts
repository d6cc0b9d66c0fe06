import * as fs from 'node:fs';
import { PACKED_FIELDS, type Ledger, type PackedKeyIndex, type PackedRecords, type SavedPart } from '../ledger/ledger';
import type { AgentId } from '../sources/types';
import { writeFileAtomic } from '../util/atomicWrite';
import type { FileState } from './scanner';

/**
 * The persisted index: each file's offset, parser state and the records it contributed, so a
 * restart reads only what changed. Bump FORMAT when parsing rules change: an index written by other
 * rules is rebuilt, never trusted.
 */
export const INDEX_FORMAT = 10;
const MAGIC = 0x58494d41; // "AMIX"
const FIELDS = PACKED_FIELDS;

interface Header {
  format: number;
  savedAt: string;
  /** Fingerprint of the prices the stored costs were computed with. */
  pricing: string;
  files: Array<Omit<FileState, 'id'> & { id: number; records: number; parts: SavedPart[] }>;
  strings: string[];
  /** Pairs (string index, file id) after the records, sorted by key: every keyed record. */
  keys: number;
}

export class IndexError extends Error {}

/** Serialises the scanner's files and the ledger's records into one buffer. */
export function encodeIndex(files: readonly FileState[], ledger: Ledger): Buffer {
  const blocks = files.map((f) => ledger.packedBlock(f.id));
  const loose = files.map((f) => ledger.recordsOfFile(f.id));
  // Packed files restored from one index share its string table: keep that table as the prefix of
  // this one, so their numbers copy unchanged and their (sorted) keys need no new sort.
  const base = blocks.find((b) => b !== undefined)?.strings;
  const reuse = base !== undefined && blocks.every((b) => b === undefined || b.strings === base);
  const strings: string[] = reuse ? [...base] : [];
  let ids: Map<string, number> | undefined;
  const intern = (s: string): number => {
    if (!ids) ids = new Map(strings.map((x, i) => [x, i]));
    let id = ids.get(s);
    if (id === undefined) {
      id = strings.length;
      strings.push(s);
      ids.set(s, id);
    }
    return id;
  };
  const headerFiles: Header['files'] = [];
  const total = files.reduce((n, _f, i) => n + (blocks[i]?.count ?? 0) + loose[i].length, 0);
  const numbers = new Float64Array(total * FIELDS);
  /** Keys of records written from objects, to merge into the reused sorted keys. */
  const fresh: Array<[string, number, number]> = [];
  let at = 0;
  files.forEach((f, i) => {
    const block = blocks[i];
    headerFiles.push({ ...f, records: (block?.count ?? 0) + loose[i].length, parts: ledger.partsOfFile(f.id) });
    if (block && reuse) {
      numbers.set(block.numbers.subarray(block.start, block.start + block.count * FIELDS), at);
      at += block.count * FIELDS;
    } else if (block) {
      // Still packed, from another table: copy the numbers, re-interning its strings.
      const str = (n: number) => (n < 0 ? -1 : intern(block.strings[n]));
      for (let j = 0, from = block.start; j < block.count; j++, from += FIELDS) {
        numbers[at++] = str(block.numbers[from]);
        numbers[at++] = str(block.numbers[from + 1]);
        for (let c = 2; c <= 8; c++) numbers[at++] = block.numbers[from + c];
        numbers[at++] = str(block.numbers[from + 9]);
        const key = str(block.numbers[from + 10]);
        numbers[at++] = key;
        if (key >= 0) fresh.push([strings[key], key, f.id]);
        numbers[at++] = block.numbers[from + 11];
        numbers[at++] = str(block.numbers[from + 12]);
        numbers[at++] = block.numbers[from + 13];
      }
    }
    for (const r of loose[i]) {
      numbers[at++] = intern(r.sessionId);
      numbers[at++] = intern(r.model);
      numbers[at++] = r.timestamp;
      numbers[at++] = r.inputTokens;
      numbers[at++] = r.outputTokens;
      numbers[at++] = r.cacheWrite5mTokens;
      numbers[at++] = r.cacheWrite1hTokens;
      numbers[at++] = r.cacheReadTokens;
      numbers[at++] = r.reasoningOutputTokens;
      numbers[at++] = r.speed === undefined ? -1 : intern(r.speed);
      const key = r.key ? intern(r.key) : -1;
      numbers[at++] = key;
      if (key >= 0) fresh.push([r.key, key, f.id]);
      numbers[at++] = r.costUSD === null ? NaN : r.costUSD;
      numbers[at++] = r.provider === undefined ? -1 : intern(r.provider);
      // Flags: 1 = the counted copy of its request, 2 = estimated counts.
      numbers[at++] = (ledger.isCounted(r) ? 1 : 0) | (r.estimated ? 2 : 0);
    }
  });
  // Every record's key with its file, sorted, for binary search after a restart: the reused keys
  // of files still packed (already sorted) merged with the fresh ones (sorted here).
  fresh.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const kept: number[] = [];
  if (reuse) {
    const old = ledger.packedKeyPairs();
    const stillPacked = new Set(blocks.flatMap((b, i) => (b ? [files[i].id] : [])));
    if (old) for (let i = 0; i < old.length; i += 2) if (stillPacked.has(old[i + 1])) kept.push(old[i], old[i + 1]);
  }
  const keyNumbers = new Float64Array(kept.length + fresh.length * 2);
  let a = 0;
  let b = 0;
  let k = 0;
  while (a < kept.length || b < fresh.length) {
    if (b >= fresh.length || (a < kept.length && strings[kept[a]] <= fresh[b][0])) {
      keyNumbers[k++] = kept[a++];
      keyNumbers[k++] = kept[a++];
    } else {
      keyNumbers[k++] = fresh[b][1];
      keyNumbers[k++] = fresh[b++][2];
    }
  }
  const pairs = { length: keyNumbers.length / 2 };
  const header: Header = { format: INDEX_FORMAT, savedAt: new Date().toISOString(), pricing: ledger.pricing, files: headerFiles, strings, keys: pairs.length };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const bodyStart = align8(12 + json.length);
  const out = Buffer.alloc(bodyStart + numbers.byteLength + keyNumbers.byteLength);
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(INDEX_FORMAT, 4);
  out.writeUInt32LE(json.length, 8);
  json.copy(out, 12);
  Buffer.from(numbers.buffer).copy(out, bodyStart);
  Buffer.from(keyNumbers.buffer).copy(out, bodyStart + numbers.byteLength);
  return out;
}

/**
 * Replays a persisted index into the ledger and returns the file states for the scanner.
 * Throws IndexError (and adds nothing) when the index is corrupt or of another format.
 */
export function decodeIndex(data: Buffer, ledger: Ledger, onFiles?: (files: FileState[]) => void): FileState[] {
  if (data.length < 12 || data.readUInt32LE(0) !== MAGIC) throw new IndexError('not an Agent Meter index');
  const format = data.readUInt32LE(4);
  if (format !== INDEX_FORMAT) throw new IndexError(`index format ${format}, expected ${INDEX_FORMAT}`);
  const jsonLength = data.readUInt32LE(8);
  if (12 + jsonLength > data.length) throw new IndexError('index header is truncated');
  let header: Header;
  try {
    header = JSON.parse(data.toString('utf8', 12, 12 + jsonLength)) as Header;
  } catch {
    throw new IndexError('index header is not valid JSON');
  }
  if (!Array.isArray(header.files) || !Array.isArray(header.strings)) throw new IndexError('index header is incomplete');
  const bodyStart = align8(12 + jsonLength);
  const total = header.files.reduce((n, f) => n + (Number.isInteger(f.records) && f.records >= 0 ? f.records : NaN), 0);
  const keyCount = header.keys;
  if (!Number.isFinite(total) || !Number.isInteger(keyCount) || keyCount < 0 || data.length !== bodyStart + (total * FIELDS + keyCount * 2) * 8) {
    throw new IndexError('index body does not match its header');
  }
  const body = data.byteOffset % 8 === 0 ? data : Buffer.from(data);
  const numbers = new Float64Array(body.buffer, body.byteOffset + bodyStart, total * FIELDS);
  const keyPairs = new Float64Array(body.buffer, body.byteOffset + bodyStart + total * FIELDS * 8, keyCount * 2);
  const { strings } = header;
  // Validate everything before touching the ledger, so a corrupt index adds nothing.
  for (const f of header.files) {
    if (typeof f.path !== 'string' || typeof f.offset !== 'number' || typeof f.id !== 'number') throw new IndexError('index file entry is malformed');
  }
  const isString = (n: number, optional: boolean): boolean => (optional && n === -1) || (Number.isInteger(n) && n >= 0 && n < strings.length && typeof strings[n] === 'string');
  for (let at = 0; at < numbers.length; at += FIELDS) {
    if (!isString(numbers[at], false) || !isString(numbers[at + 1], false) || !isString(numbers[at + 9], true) || !isString(numbers[at + 10], true) || !isString(numbers[at + 12], true)) {
      throw new IndexError('index refers to a missing string');
    }
  }
  const files = header.files.map(({ records: _records, parts: _parts, ...f }) => f);
  onFiles?.(files);
  const costsValid = header.pricing === ledger.pricing;
  for (let i = 0; i < keyPairs.length; i += 2) if (!isString(keyPairs[i], false)) throw new IndexError('index key refers to a missing string');
  const restored: Array<{ fileId: number; block: PackedRecords; parts?: SavedPart[] }> = [];
  let at = 0;
  for (const f of header.files) {
    restored.push({ fileId: f.id, block: { agent: f.agent as AgentId, numbers, start: at, count: f.records, strings, costsValid }, parts: validParts(f.parts) });
    at += f.records * FIELDS;
  }
  const keys: PackedKeyIndex = { strings, pairs: keyPairs };
  ledger.restore(restored, keys);
  return files;
}

export function saveIndex(file: string, files: readonly FileState[], ledger: Ledger): void {
  writeFileAtomic(file, encodeIndex(files, ledger), { durable: false });
}

/** Loads the index if present; `undefined` when there is none. Throws IndexError when corrupt. */
export function loadIndex(file: string, ledger: Ledger, onFiles?: (files: FileState[]) => void): FileState[] | undefined {
  let data: Buffer;
  try {
    data = fs.readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new IndexError(`cannot read the index: ${(error as Error).message}`);
  }
  return decodeIndex(data, ledger, onFiles);
}

/** Saved parts when they have the expected shape; otherwise the records are summed again. */
function validParts(parts: unknown): SavedPart[] | undefined {
  if (!Array.isArray(parts)) return undefined;
  for (const p of parts) {
    if (!Array.isArray(p) || p.length !== 14 || typeof p[0] !== 'string' || typeof p[1] !== 'string') return undefined;
    for (let i = 2; i < 14; i++) if (i !== 9 && typeof p[i] !== 'number') return undefined;
    if (p[9] !== null && typeof p[9] !== 'number') return undefined;
  }
  return parts as SavedPart[];
}

function align8(n: number): number {
  return (n + 7) & ~7;
}
