import fs = require('node:fs');
import zlib = require('node:zlib');
import { keyHash, PACKED_FIELDS, type Ledger, type PackedRecords, type SavedPart } from '../ledger/ledger';
import type { AgentId } from '../sources/types';
import { writeFileAtomic } from '../util/atomicWrite';
import { count } from '../util/json';
import type { FileState } from './scanner';

/**
 * The persisted index: each file's offset, parser state and the records it contributed, so a
 * restart reads only what changed. Bump FORMAT when parsing rules change: an index written by other
 * rules is rebuilt, never trusted.
 *
 * Layout: magic, format, header length, CRC-32 of everything after these 16 bytes; the JSON header
 * (files, their per-session totals, the few names records refer to); then, 8-aligned, the records
 * as float64 (PACKED_FIELDS each, file after file), the (keyHash, file id) pairs sorted by hash,
 * and each file's request keys as a JSON array, decoded only if that file is ever unpacked. A
 * restart therefore parses a small header and makes no object or string per record.
 */
export const INDEX_FORMAT = 11;
const MAGIC = 0x58494d41; // "AMIX"
const FIELDS = PACKED_FIELDS;
const PREAMBLE = 16;

interface HeaderFile extends Omit<FileState, 'id'> {
  id: number;
  records: number;
  parts: SavedPart[];
  /** Bytes of this file's key array in the key section. */
  keyBytes: number;
}

interface Header {
  format: number;
  savedAt: string;
  /** Fingerprint of the prices the stored costs were computed with. */
  pricing: string;
  files: HeaderFile[];
  strings: string[];
  /** Number of (keyHash, file id) pairs after the records. */
  keys: number;
}

export class IndexError extends Error {}

/** Serialises the scanner's files and the ledger's records into one buffer. */
export function encodeIndex(files: readonly FileState[], ledger: Ledger): Buffer {
  const blocks = files.map((f) => ledger.packedBlock(f.id));
  const loose = files.map((f) => ledger.recordsOfFile(f.id));
  // Packed files restored from one index share its name table: keep that table as the prefix of
  // this one, so their numbers copy unchanged and their (sorted) key pairs need no new sort.
  const base = blocks.find((b) => b !== undefined)?.strings;
  const reuse = base !== undefined && blocks.every((b) => b === undefined || b.strings === base);
  const strings: string[] = reuse ? [...base] : [];
  const ids = new Map(strings.map((x, i) => [x, i]));
  const intern = (s: string): number => {
    let id = ids.get(s);
    if (id === undefined) {
      id = strings.push(s) - 1;
      ids.set(s, id);
    }
    return id;
  };
  // A file's records nearly always share one session and one model: remember the last of each.
  const lastOf = () => {
    let name: string | undefined;
    let id = -1;
    return (s: string): number => (s === name ? id : ((name = s), (id = intern(s))));
  };
  const sessionId = lastOf();
  const modelId = lastOf();
  const headerFiles: HeaderFile[] = [];
  const keyChunks: Buffer[] = [];
  const total = files.reduce((n, _f, i) => n + (blocks[i]?.count ?? 0) + loose[i].length, 0);
  const numbers = new Float64Array(total * FIELDS);
  /** Key pairs of records not in a reused block, to merge into the reused sorted pairs. */
  const freshHashes: number[] = [];
  const freshFiles: number[] = [];
  let at = 0;
  files.forEach((f, i) => {
    const block = blocks[i];
    const records = loose[i];
    if (block && reuse) {
      numbers.set(block.numbers.subarray(block.start, block.start + block.count * FIELDS), at);
      at += block.count * FIELDS;
    } else if (block) {
      // Still packed, from another table: copy the numbers, re-interning its names.
      const str = (n: number) => (n < 0 ? -1 : intern(block.strings[n]));
      for (let j = 0, from = block.start; j < block.count; j++, from += FIELDS) {
        numbers.set(block.numbers.subarray(from, from + FIELDS), at);
        numbers[at] = str(block.numbers[from]);
        numbers[at + 1] = str(block.numbers[from + 1]);
        numbers[at + 9] = str(block.numbers[from + 9]);
        numbers[at + 12] = str(block.numbers[from + 12]);
        const hash = block.numbers[from + 10];
        if (hash >= 0) {
          freshHashes.push(hash);
          freshFiles.push(f.id);
        }
        at += FIELDS;
      }
    }
    const keys: string[] = [];
    for (const r of records) {
      numbers[at++] = sessionId(r.sessionId);
      numbers[at++] = modelId(r.model);
      numbers[at++] = r.timestamp;
      numbers[at++] = r.inputTokens;
      numbers[at++] = r.outputTokens;
      numbers[at++] = r.cacheWrite5mTokens;
      numbers[at++] = r.cacheWrite1hTokens;
      numbers[at++] = r.cacheReadTokens;
      numbers[at++] = r.reasoningOutputTokens;
      numbers[at++] = r.speed === undefined ? -1 : intern(r.speed);
      const hash = r.key ? keyHash(r.key) : -1;
      numbers[at++] = hash;
      if (hash >= 0) {
        freshHashes.push(hash);
        freshFiles.push(f.id);
      }
      numbers[at++] = r.costUSD === null ? NaN : r.costUSD;
      numbers[at++] = r.provider === undefined ? -1 : intern(r.provider);
      numbers[at++] = (ledger.isCounted(r) ? 1 : 0) | (r.estimated ? 2 : 0);
      keys.push(r.key);
    }
    const keyBytes = fileKeys(block, keys);
    keyChunks.push(keyBytes);
    headerFiles.push({ ...f, records: (block?.count ?? 0) + records.length, parts: ledger.partsOfFile(f.id), keyBytes: keyBytes.length });
  });
  const pairs = mergePairs(reuse ? keptPairs(ledger, blocks, files) : new Float64Array(0), freshHashes, freshFiles);
  const header: Header = { format: INDEX_FORMAT, savedAt: new Date().toISOString(), pricing: ledger.pricing, files: headerFiles, strings, keys: pairs.length / 2 };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const bodyStart = align8(PREAMBLE + json.length);
  const keysStart = bodyStart + numbers.byteLength + pairs.byteLength;
  const out = Buffer.alloc(keysStart + keyChunks.reduce((n, c) => n + c.length, 0));
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(INDEX_FORMAT, 4);
  out.writeUInt32LE(json.length, 8);
  json.copy(out, PREAMBLE);
  Buffer.from(numbers.buffer).copy(out, bodyStart);
  Buffer.from(pairs.buffer).copy(out, bodyStart + numbers.byteLength);
  let k = keysStart;
  for (const chunk of keyChunks) k += chunk.copy(out, k);
  out.writeUInt32LE(crc32(out.subarray(PREAMBLE)), 12);
  return out;
}

/** A file's key array: its packed block's bytes as they are, extended with its loose records' keys. */
function fileKeys(block: PackedRecords | undefined, loose: readonly string[]): Buffer {
  const packed = block && block.count > 0 ? block.keys.blob.subarray(block.keys.start, block.keys.end) : undefined;
  if (!packed) return loose.length === 0 ? Buffer.alloc(0) : Buffer.from(JSON.stringify(loose), 'utf8');
  if (loose.length === 0) return packed;
  // `[…packed…]` + `,…loose…]`: splice the arrays without decoding the packed one.
  return Buffer.concat([packed.subarray(0, packed.length - 1), Buffer.from(`,${JSON.stringify(loose).slice(1)}`, 'utf8')]);
}

/** The restored pairs whose files are still packed (already sorted). */
function keptPairs(ledger: Ledger, blocks: ReadonlyArray<PackedRecords | undefined>, files: readonly FileState[]): Float64Array {
  const old = ledger.packedKeyPairs();
  if (!old) return new Float64Array(0);
  const stillPacked = new Set(blocks.flatMap((b, i) => (b ? [files[i].id] : [])));
  const kept: number[] = [];
  for (let i = 0; i < old.length; i += 2) if (stillPacked.has(old[i + 1])) kept.push(old[i], old[i + 1]);
  return Float64Array.from(kept);
}

/** Sorted pairs: the kept ones merged with the fresh ones (sorted here by hash). */
function mergePairs(kept: Float64Array, hashes: readonly number[], fileIds: readonly number[]): Float64Array {
  // A numeric sort of the hashes, then each hash's files in the order given (a comparator sort of
  // indexes cost several times more). A hash in several files is rare: a list only then.
  const sorted = Float64Array.from(hashes).sort();
  const filesOf = new Map<number, number | number[]>();
  for (let i = 0; i < hashes.length; i++) {
    const seen = filesOf.get(hashes[i]);
    if (seen === undefined) filesOf.set(hashes[i], fileIds[i]);
    else if (typeof seen === 'number') filesOf.set(hashes[i], [seen, fileIds[i]]);
    else seen.push(fileIds[i]);
  }
  const fresh = new Float64Array(hashes.length * 2);
  for (let i = 0, k = 0; i < sorted.length; ) {
    const hash = sorted[i];
    const files = filesOf.get(hash)!;
    const count = typeof files === 'number' ? 1 : files.length;
    for (let j = 0; j < count; j++, i++) {
      fresh[k++] = hash;
      fresh[k++] = typeof files === 'number' ? files : files[j];
    }
  }
  if (kept.length === 0) return fresh;
  const out = new Float64Array(kept.length + fresh.length);
  let a = 0;
  let b = 0;
  let k = 0;
  while (a < kept.length || b < fresh.length) {
    const fromKept = b >= fresh.length || (a < kept.length && kept[a] <= fresh[b]);
    const from = fromKept ? kept : fresh;
    const i = fromKept ? a : b;
    out[k++] = from[i];
    out[k++] = from[i + 1];
    if (fromKept) a += 2;
    else b += 2;
  }
  return out;
}

/**
 * Replays a persisted index into the ledger and returns the file states for the scanner.
 * Throws IndexError (and adds nothing) when the index is corrupt or of another format.
 */
export function decodeIndex(data: Buffer, ledger: Ledger, onFiles?: (files: FileState[]) => void): FileState[] {
  if (data.length < PREAMBLE || data.readUInt32LE(0) !== MAGIC) throw new IndexError('not an Agent Meter index');
  const format = data.readUInt32LE(4);
  if (format !== INDEX_FORMAT) throw new IndexError(`index format ${format}, expected ${INDEX_FORMAT}`);
  const jsonLength = data.readUInt32LE(8);
  if (PREAMBLE + jsonLength > data.length) throw new IndexError('index header is truncated');
  if (crc32(data.subarray(PREAMBLE)) !== data.readUInt32LE(12)) throw new IndexError('index checksum does not match');
  let header: Header;
  try {
    header = JSON.parse(data.toString('utf8', PREAMBLE, PREAMBLE + jsonLength)) as Header;
  } catch {
    throw new IndexError('index header is not valid JSON');
  }
  if (!Array.isArray(header.files) || !Array.isArray(header.strings) || header.strings.some((s) => typeof s !== 'string')) throw new IndexError('index header is incomplete');
  for (const f of header.files) {
    if (typeof f?.path !== 'string' || typeof f.offset !== 'number' || typeof f.id !== 'number' || count(f.records) === undefined || count(f.keyBytes) === undefined) throw new IndexError('index file entry is malformed');
  }
  const bodyStart = align8(PREAMBLE + jsonLength);
  const total = header.files.reduce((n, f) => n + f.records, 0);
  const keyBytes = header.files.reduce((n, f) => n + f.keyBytes, 0);
  const keysStart = bodyStart + (total * FIELDS + header.keys * 2) * 8;
  if (count(header.keys) === undefined || data.length !== keysStart + keyBytes) throw new IndexError('index body does not match its header');
  const body = data.byteOffset % 8 === 0 ? data : Buffer.from(data);
  const numbers = new Float64Array(body.buffer, body.byteOffset + bodyStart, total * FIELDS);
  const pairs = new Float64Array(body.buffer, body.byteOffset + bodyStart + total * FIELDS * 8, header.keys * 2);
  // The checksum proves these are the bytes written; this proves the writer's references hold.
  const names = header.strings.length;
  for (let at = 0; at < numbers.length; at += FIELDS) {
    const s = numbers[at];
    const m = numbers[at + 1];
    const sp = numbers[at + 9];
    const pr = numbers[at + 12];
    if (!(s >= 0 && s < names && m >= 0 && m < names && sp < names && pr < names)) throw new IndexError('index refers to a missing name');
  }
  // Built field by field: a rest spread walks every key of every entry (850 files: ~0.5 ms).
  const files = header.files.map((f): FileState => ({ id: f.id, path: f.path, agent: f.agent, size: f.size, mtimeMs: f.mtimeMs, ino: f.ino, offset: f.offset, parserState: f.parserState, skips: f.skips ?? {} }));
  onFiles?.(files);
  const costsValid = header.pricing === ledger.pricing;
  const restored: Array<{ fileId: number; block: PackedRecords; parts?: SavedPart[] }> = [];
  let at = 0;
  let keyAt = keysStart;
  for (const f of header.files) {
    const keys = { blob: body, start: keyAt, end: keyAt + f.keyBytes };
    restored.push({ fileId: f.id, block: { agent: f.agent as AgentId, numbers, start: at, count: f.records, strings: header.strings, keys, costsValid }, parts: validParts(f.parts) });
    at += f.records * FIELDS;
    keyAt += f.keyBytes;
  }
  ledger.restore(restored, { pairs });
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

/** CRC-32 of the bytes (zlib's, native from Node 20.15; a table-driven fallback before). */
function crc32(bytes: Uint8Array): number {
  const native = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;
  if (native) return native(bytes) >>> 0;
  let table = crcTable;
  if (!table) {
    table = crcTable = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c;
    }
  }
  let crc = -1;
  for (let i = 0; i < bytes.length; i++) crc = table[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}
let crcTable: Int32Array | undefined;
