import fs = require('node:fs');
import zlib = require('node:zlib');
import { keyHash, keyIndexEntry, PACKED_FIELDS, PART_FIELDS, type Ledger, type LedgerRecord, type PackedKeyIndex, type PackedParts, type PackedRecords } from '../ledger/ledger';
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
 * (what only JSON holds: the name table, each file's path, parser state and skips); then,
 * 8-aligned, float64s: each file's FILE_FIELDS numbers (id, agent, size, mtime, inode, offset,
 * records, key bytes, parts), its parts (PART_FIELDS each: the totals it gives each session and
 * model), its records (PACKED_FIELDS each, file after file), the key index (one number per keyed
 * record, its key's hash and its file id: see keyIndexEntry; sorted); last each file's request
 * keys as a JSON array, decoded only if that file is ever unpacked. A restart therefore parses a
 * small header and makes no object or string per record, and none per file beyond its state.
 */
export const INDEX_FORMAT = 15;
const MAGIC = 0x58494d41; // "AMIX"
const FIELDS = PACKED_FIELDS;
const PREAMBLE = 16;
/** Per file: id, agent (index into `agents`), size, mtimeMs, ino, offset, records, key bytes, parts. */
const FILE_FIELDS = 9;

interface Header {
  format: number;
  savedAt: string;
  /** Fingerprint of the prices the stored costs were computed with. */
  pricing: string;
  /** Sessions, models, speeds and providers that records and parts refer to by index. */
  strings: string[];
  agents: string[];
  /** Per file, in the order of the file numbers: path, parser state (null: none), skips (0: none). */
  paths: string[];
  states: unknown[];
  skips: Array<FileState['skips'] | 0>;
  /** Number of parts after the file numbers. */
  parts: number;
  /** Number of key index entries after the records. */
  keys: number;
  /** Bits of a key index entry that hold the file id. */
  keyFileBits: number;
}

export class IndexError extends Error {}

/** Serialises the scanner's files and the ledger's records into one buffer. */
export function encodeIndex(files: readonly FileState[], ledger: Ledger): Buffer {
  return Buffer.concat(encodeIndexChunks(files, ledger));
}

/**
 * The same bytes as encodeIndex, as the pieces they are made of (the preamble with the header, each
 * section, each file's keys), for a save to write as they are instead of copying megabytes into
 * one buffer first (about 1 ms of a cold run's ~30 ms save here).
 */
export function encodeIndexChunks(files: readonly FileState[], ledger: Ledger): Uint8Array[] {
  const blocks = files.map((f) => ledger.packedBlock(f.id));
  const loose = files.map((f) => ledger.recordsOfFile(f.id));
  // Packed files restored from one index share its name table: keep that table as the prefix of
  // this one, so their numbers copy unchanged and their (sorted) key index entries need no new sort.
  const base = blocks.find((b) => b !== undefined)?.strings;
  const reuse = base !== undefined && blocks.every((b) => b === undefined || b.strings === base);
  const names = new Names(reuse ? base : []);
  const agents = new Names([]);
  const keyChunks: Buffer[] = [];
  // Parts of packed files come from the ledger; those of loose records are summed as they are packed.
  const packedParts = files.map((f) => ledger.packedPartsOf(f.id));
  let total = 0;
  let partsAtMost = 0;
  for (let i = 0; i < files.length; i++) {
    total += (blocks[i]?.count ?? 0) + loose[i].length;
    partsAtMost += packedParts[i].length + loose[i].length;
  }
  const fileNumbers = new Float64Array(files.length * FILE_FIELDS);
  const parts: PartSums = { numbers: new Float64Array(partsAtMost * PART_FIELDS), from: 0, end: 0, byName: undefined };
  const numbers = new Float64Array(total * FIELDS);
  const kept = reuse ? ledger.packedKeyIndex() : undefined;
  let maxId = 0;
  for (const f of files) maxId = Math.max(maxId, f.id);
  const fileBits = Math.max(kept?.fileBits ?? 1, bitLength(maxId));
  // Key index entries of records not in a reused block, to merge into the reused sorted ones.
  const fresh: FreshKeys = { entries: new Float64Array(total), count: 0, scale: 2 ** fileBits };
  let at = 0;
  for (let i = 0; i < files.length; i++) {
    const f = files[i];
    const block = blocks[i];
    const records = loose[i];
    const recordsBefore = at;
    if (block && reuse) {
      numbers.set(block.numbers.subarray(block.start, block.start + block.count * FIELDS), at);
      at += block.count * FIELDS;
    } else if (block) {
      at = repackBlock(block, f.id, numbers, at, names, fresh);
    }
    parts.from = parts.end;
    parts.byName = undefined;
    for (const p of packedParts[i]) {
      const partAt = parts.end;
      parts.numbers.set(p.slice(2) as number[], partAt + 2);
      parts.numbers[partAt] = names.session.id(p[0]);
      parts.numbers[partAt + 1] = names.model.id(p[1]);
      parts.numbers[partAt + 9] = p[9] ?? NaN;
      parts.end += PART_FIELDS;
    }
    at = packRecords(records, f.id, ledger, numbers, at, names, fresh, parts);
    const keyBytes = fileKeys(block, records);
    keyChunks.push(keyBytes);
    fileNumbers.set([f.id, agents.id(f.agent), f.size, f.mtimeMs, f.ino, f.offset, (at - recordsBefore) / FIELDS, keyBytes.length, (parts.end - parts.from) / PART_FIELDS], i * FILE_FIELDS);
  }
  const partNumbers = parts.numbers.subarray(0, parts.end);
  const partCount = parts.end / PART_FIELDS;
  const keyIndex = mergeKeys(kept ? keptKeys(kept, blocks, files, fileBits) : new Float64Array(0), fresh);
  const header: Header = {
    format: INDEX_FORMAT,
    savedAt: new Date().toISOString(),
    pricing: ledger.pricing,
    strings: names.strings,
    agents: agents.strings,
    paths: files.map((f) => f.path),
    states: files.map((f) => f.parserState ?? null),
    skips: files.map((f) => (Object.keys(f.skips).length > 0 ? f.skips : 0)),
    parts: partCount,
    keys: keyIndex.length,
    keyFileBits: fileBits,
  };
  const json = JSON.stringify(header);
  const jsonLength = Buffer.byteLength(json, 'utf8');
  // The preamble, the header and the zeros that align the sections to 8 bytes.
  const head = Buffer.alloc(align8(PREAMBLE + jsonLength));
  head.writeUInt32LE(MAGIC, 0);
  head.writeUInt32LE(INDEX_FORMAT, 4);
  head.writeUInt32LE(jsonLength, 8);
  head.write(json, PREAMBLE, 'utf8');
  const chunks: Uint8Array[] = [head];
  for (const section of [fileNumbers, partNumbers, numbers, keyIndex]) chunks.push(new Uint8Array(section.buffer, section.byteOffset, section.byteLength));
  for (const chunk of keyChunks) if (chunk.length > 0) chunks.push(chunk);
  let crc = crc32(head.subarray(PREAMBLE), 0);
  for (let i = 1; i < chunks.length; i++) crc = crc32(chunks[i], crc);
  head.writeUInt32LE(crc, 12);
  return chunks;
}

/** A table of names, each stored once: the index's sessions, models, speeds and providers; its agents. */
class Names {
  readonly strings: string[];
  private readonly ids: Map<string, number>;
  // A file's records nearly always share one session and one model: the last of each is kept.
  readonly session = new LastName(this);
  readonly model = new LastName(this);

  constructor(base: readonly string[]) {
    this.strings = [...base];
    this.ids = new Map(this.strings.map((x, i) => [x, i]));
  }

  id(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.strings.push(s) - 1;
      this.ids.set(s, id);
    }
    return id;
  }
}

/** A name's id, remembering the last name asked for. */
class LastName {
  private name: string | undefined;
  private nameId = -1;

  constructor(private readonly names: Names) {}

  id(s: string): number {
    if (s !== this.name) {
      this.name = s;
      this.nameId = this.names.id(s);
    }
    return this.nameId;
  }
}

/** Key index entries in the order met, before sorting. */
interface FreshKeys {
  readonly entries: Float64Array;
  count: number;
  /** 2 ** the bits of an entry that hold the file id. */
  readonly scale: number;
}

/**
 * The parts being written (PART_FIELDS numbers each: what ledger.packedPartsOf gives, with names
 * as name ids and NaN for no dollars): `from` is where the current file's parts start, `end`
 * where the next part goes; `byName` finds a file's part by session and model once it has several.
 */
interface PartSums {
  readonly numbers: Float64Array;
  from: number;
  end: number;
  byName: Map<string, number> | undefined;
}

/** Adds a counted record to its file's part for its session and model (name ids), started on its first record. */
function addToPart(parts: PartSums, session: number, model: number, r: LedgerRecord): void {
  const n = parts.numbers;
  // A file's records nearly always share one session and model: the last part is tried first.
  let at = parts.end - PART_FIELDS;
  if (at < parts.from || n[at] !== session || n[at + 1] !== model) {
    const name = `${session}:${model}`;
    if (!parts.byName) {
      parts.byName = new Map();
      for (let p = parts.from; p < parts.end; p += PART_FIELDS) parts.byName.set(`${n[p]}:${n[p + 1]}`, p);
    }
    const found = parts.byName.get(name);
    if (found !== undefined) {
      at = found;
    } else {
      at = parts.end;
      parts.end += PART_FIELDS;
      parts.byName.set(name, at);
      n.fill(0, at, parts.end);
      n[at] = session;
      n[at + 1] = model;
      n[at + 9] = NaN;
      n[at + 10] = 1;
      n[at + 11] = Infinity;
      n[at + 12] = -Infinity;
    }
  }
  n[at + 2] += r.inputTokens;
  n[at + 3] += r.outputTokens;
  n[at + 4] += r.cacheWrite5mTokens;
  n[at + 5] += r.cacheWrite1hTokens;
  n[at + 6] += r.cacheReadTokens;
  n[at + 7] += r.reasoningOutputTokens;
  n[at + 8] += 1;
  if (r.costUSD === null) n[at + 10] = 0;
  else n[at + 9] = Number.isNaN(n[at + 9]) ? r.costUSD : n[at + 9] + r.costUSD;
  if (r.timestamp < n[at + 11]) n[at + 11] = r.timestamp;
  if (r.timestamp > n[at + 12]) n[at + 12] = r.timestamp;
  if (r.estimated) n[at + 13] = 1;
}

/** Writes a file's records as numbers from `at`, summing the counted ones into `parts`; returns the index after them. */
function packRecords(records: readonly LedgerRecord[], fileId: number, ledger: Ledger, numbers: Float64Array, at: number, names: Names, fresh: FreshKeys, parts: PartSums): number {
  for (let j = 0; j < records.length; j++) {
    const r = records[j];
    const hash = r.key ? keyHash(r.key) : -1;
    const session = names.session.id(r.sessionId);
    const model = names.model.id(r.model);
    const counted = ledger.isCounted(r);
    numbers[at] = session;
    numbers[at + 1] = model;
    numbers[at + 2] = r.timestamp;
    numbers[at + 3] = r.inputTokens;
    numbers[at + 4] = r.outputTokens;
    numbers[at + 5] = r.cacheWrite5mTokens;
    numbers[at + 6] = r.cacheWrite1hTokens;
    numbers[at + 7] = r.cacheReadTokens;
    numbers[at + 8] = r.reasoningOutputTokens;
    numbers[at + 9] = r.speed === undefined ? -1 : names.id(r.speed);
    numbers[at + 10] = hash;
    numbers[at + 11] = r.costUSD === null ? NaN : r.costUSD;
    numbers[at + 12] = r.provider === undefined ? -1 : names.id(r.provider);
    numbers[at + 13] = (counted ? 1 : 0) | (r.estimated ? 2 : 0);
    if (counted) addToPart(parts, session, model, r);
    if (hash >= 0) fresh.entries[fresh.count++] = keyIndexEntry(hash, fileId, fresh.scale);
    at += FIELDS;
  }
  return at;
}

/** Copies a block still packed from another name table, re-interning its names. */
function repackBlock(block: PackedRecords, fileId: number, numbers: Float64Array, at: number, names: Names, fresh: FreshKeys): number {
  const str = (n: number) => (n < 0 ? -1 : names.id(block.strings[n]));
  for (let j = 0, from = block.start; j < block.count; j++, from += FIELDS) {
    numbers.set(block.numbers.subarray(from, from + FIELDS), at);
    numbers[at] = str(block.numbers[from]);
    numbers[at + 1] = str(block.numbers[from + 1]);
    numbers[at + 9] = str(block.numbers[from + 9]);
    numbers[at + 12] = str(block.numbers[from + 12]);
    const hash = block.numbers[from + 10];
    if (hash >= 0) fresh.entries[fresh.count++] = keyIndexEntry(hash, fileId, fresh.scale);
    at += FIELDS;
  }
  return at;
}

/** A file's key array: its packed block's bytes as they are, extended with its loose records' keys. */
function fileKeys(block: PackedRecords | undefined, records: readonly LedgerRecord[]): Buffer {
  const loose = records.map((r) => r.key);
  const packed = block && block.count > 0 ? block.keys.blob.subarray(block.keys.start, block.keys.end) : undefined;
  if (!packed) return loose.length === 0 ? Buffer.alloc(0) : Buffer.from(JSON.stringify(loose), 'utf8');
  if (loose.length === 0) return packed;
  // `[…packed…]` + `,…loose…]`: splice the arrays without decoding the packed one.
  return Buffer.concat([packed.subarray(0, packed.length - 1), Buffer.from(`,${JSON.stringify(loose).slice(1)}`, 'utf8')]);
}

/**
 * The restored entries whose files are still packed, in the current entry layout: sorted as they
 * were when their file bits are unchanged, sorted again when the bits grew (rare: file ids passed
 * a power of two).
 */
function keptKeys(kept: PackedKeyIndex, blocks: ReadonlyArray<PackedRecords | undefined>, files: readonly FileState[], fileBits: number): Float64Array {
  const stillPacked = new Set<number>();
  for (let i = 0; i < files.length; i++) if (blocks[i]) stillPacked.add(files[i].id);
  const oldScale = 2 ** kept.fileBits;
  const scale = 2 ** fileBits;
  const out = new Float64Array(kept.entries.length);
  let n = 0;
  for (const entry of kept.entries) {
    const fileId = entry % oldScale;
    // entry - fileId is the hash's top bits in the old layout: re-cut for the current one.
    if (stillPacked.has(fileId)) out[n++] = keyIndexEntry(entry - fileId, fileId, scale);
  }
  const result = out.subarray(0, n);
  return scale === oldScale ? result : result.sort();
}

/** The kept entries (sorted) merged with the fresh ones, sorted here. */
function mergeKeys(kept: Float64Array, fresh: FreshKeys): Float64Array {
  const sorted = fresh.entries.slice(0, fresh.count).sort();
  if (kept.length === 0) return sorted;
  const out = new Float64Array(kept.length + sorted.length);
  let a = 0;
  let b = 0;
  let k = 0;
  while (a < kept.length && b < sorted.length) out[k++] = kept[a] <= sorted[b] ? kept[a++] : sorted[b++];
  while (a < kept.length) out[k++] = kept[a++];
  while (b < sorted.length) out[k++] = sorted[b++];
  return out;
}

/** Bits needed to write n (at least 1). */
function bitLength(n: number): number {
  let bits = 1;
  while (2 ** bits <= n) bits++;
  return bits;
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
  if (crc32(data.subarray(PREAMBLE), 0) !== data.readUInt32LE(12)) throw new IndexError('index checksum does not match');
  let header: Header;
  try {
    header = JSON.parse(data.toString('utf8', PREAMBLE, PREAMBLE + jsonLength)) as Header;
  } catch {
    throw new IndexError('index header is not valid JSON');
  }
  const { strings, agents, paths, states, skips } = header;
  if (!allStrings(strings) || !allStrings(agents) || !allStrings(paths) || !Array.isArray(states) || !Array.isArray(skips) || states.length !== paths.length || skips.length !== paths.length) {
    throw new IndexError('index header is incomplete');
  }
  const fileCount = paths.length;
  const bodyStart = align8(PREAMBLE + jsonLength);
  const partsStart = bodyStart + fileCount * FILE_FIELDS * 8;
  if (count(header.parts) === undefined || count(header.keys) === undefined || partsStart + header.parts * PART_FIELDS * 8 > data.length) throw new IndexError('index body does not match its header');
  const fileBits = header.keyFileBits;
  if (!Number.isInteger(fileBits) || fileBits < 1 || fileBits > 40) throw new IndexError('index key layout is malformed');
  const body = data.byteOffset % 8 === 0 ? data : Buffer.from(data);
  const fileNumbers = new Float64Array(body.buffer, body.byteOffset + bodyStart, fileCount * FILE_FIELDS);
  let total = 0;
  let partTotal = 0;
  let keyBytes = 0;
  // Compared inline: a helper per field is most of this loop's time in a short-lived CLI.
  for (let at = 0; at < fileNumbers.length; at += FILE_FIELDS) {
    const id = fileNumbers[at];
    const agent = fileNumbers[at + 1];
    const records = fileNumbers[at + 6];
    const bytes = fileNumbers[at + 7];
    const parts = fileNumbers[at + 8];
    const whole = id % 1 === 0 && agent % 1 === 0 && records % 1 === 0 && bytes % 1 === 0 && parts % 1 === 0;
    if (!(whole && id >= 0 && agent >= 0 && agent < agents.length && records >= 0 && bytes >= 0 && parts >= 0)) throw new IndexError('index file entry is malformed');
    total += records;
    partTotal += parts;
    keyBytes += bytes;
  }
  const recordsStart = partsStart + header.parts * PART_FIELDS * 8;
  const keysStart = recordsStart + (total * FIELDS + header.keys) * 8;
  if (partTotal !== header.parts || data.length !== keysStart + keyBytes) throw new IndexError('index body does not match its header');
  const partNumbers = new Float64Array(body.buffer, body.byteOffset + partsStart, header.parts * PART_FIELDS);
  const numbers = new Float64Array(body.buffer, body.byteOffset + recordsStart, total * FIELDS);
  const entries = new Float64Array(body.buffer, body.byteOffset + recordsStart + total * FIELDS * 8, header.keys);
  // The checksum proves these are the bytes written; this proves the writer's references hold.
  const names = strings.length;
  if (!recordNamesHold(new Int32Array(body.buffer, body.byteOffset + recordsStart, total * FIELDS * 2), names)) throw new IndexError('index refers to a missing name');
  for (let at = 0; at < partNumbers.length; at += PART_FIELDS) {
    const s = partNumbers[at];
    const m = partNumbers[at + 1];
    if (!(s >= 0 && s < names && m >= 0 && m < names)) throw new IndexError('index refers to a missing name');
  }
  const costsValid = header.pricing === ledger.pricing;
  const files: FileState[] = new Array<FileState>(fileCount);
  const restored: Array<{ fileId: number; block: PackedRecords; parts: PackedParts }> = new Array(fileCount);
  let recordAt = 0;
  let partAt = 0;
  let keyAt = keysStart;
  for (let i = 0, at = 0; i < fileCount; i++, at += FILE_FIELDS) {
    const fileSkips = skips[i];
    const f: FileState = {
      id: fileNumbers[at],
      path: paths[i],
      agent: agents[fileNumbers[at + 1]] as AgentId,
      size: fileNumbers[at + 2],
      mtimeMs: fileNumbers[at + 3],
      ino: fileNumbers[at + 4],
      offset: fileNumbers[at + 5],
      parserState: states[i] ?? undefined,
      skips: typeof fileSkips === 'object' && fileSkips !== null ? fileSkips : {},
    };
    files[i] = f;
    const records = fileNumbers[at + 6];
    const partCount = fileNumbers[at + 8];
    const keys = { blob: body, start: keyAt, end: keyAt + fileNumbers[at + 7] };
    restored[i] = { fileId: f.id, block: { agent: f.agent, numbers, start: recordAt, count: records, strings, keys, costsValid }, parts: { numbers: partNumbers, start: partAt, count: partCount } };
    recordAt += records * FIELDS;
    partAt += partCount * PART_FIELDS;
    keyAt = keys.end;
  }
  onFiles?.(files);
  ledger.restore(restored, { entries, fileBits });
  return files;
}

/** High 32 bits of the float64 -1, as an Int32Array reads them. */
const MINUS_ONE_HIGH = new Int32Array(new Float64Array([-1]).buffer)[1];

/**
 * Whether every record's session and model are names of a table of `names`, and its speed and
 * provider too or -1. Compared on each float64's 32-bit halves (`words`: the records read as
 * Int32Array, little-endian): a short-lived CLI runs this loop mostly unoptimised, where every
 * double read from a Float64Array is boxed (~1.3 MB of garbage for 23k records), and 32-bit
 * integers are not. For a double x ≥ 0 and a whole `names` below 2^21 (its low half then 0),
 * x < names exactly when x's high half is below names' high half; a negative x or NaN has a
 * high half that is negative or above it (so is -0, which no writer stores).
 */
export function recordNamesHold(words: Int32Array, names: number): boolean {
  if (names >= 2 ** 21) return recordNamesHoldSlowly(new Float64Array(words.buffer, words.byteOffset, words.length / 2), names);
  const limit = new Int32Array(new Float64Array([names]).buffer)[1];
  const stride = FIELDS * 2;
  for (let at = 0; at < words.length; at += stride) {
    const s = words[at + 1];
    const m = words[at + 3];
    const sp = words[at + 19];
    const pr = words[at + 25];
    if (!(s >= 0 && s < limit && m >= 0 && m < limit)) return false;
    if (!((sp >= 0 && sp < limit) || (sp === MINUS_ONE_HIGH && words[at + 18] === 0))) return false;
    if (!((pr >= 0 && pr < limit) || (pr === MINUS_ONE_HIGH && words[at + 24] === 0))) return false;
  }
  return true;
}

/** recordNamesHold on the doubles themselves (a name table of 2^21 names or more). */
export function recordNamesHoldSlowly(numbers: Float64Array, names: number): boolean {
  for (let at = 0; at < numbers.length; at += FIELDS) {
    const s = numbers[at];
    const m = numbers[at + 1];
    const sp = numbers[at + 9];
    const pr = numbers[at + 12];
    if (!(s >= 0 && s < names && m >= 0 && m < names && (sp === -1 || (sp >= 0 && sp < names)) && (pr === -1 || (pr >= 0 && pr < names)))) return false;
  }
  return true;
}

function allStrings(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((s) => typeof s === 'string');
}

export function saveIndex(file: string, files: readonly FileState[], ledger: Ledger): void {
  writeFileAtomic(file, encodeIndexChunks(files, ledger), { durable: false });
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

function align8(n: number): number {
  return (n + 7) & ~7;
}

/** CRC-32 of the bytes, continuing from `crc` (that of the bytes before them; 0 to start): zlib's, native from Node 20.15; a table-driven fallback before. */
function crc32(bytes: Uint8Array, crc: number): number {
  // Node 20's zlib.crc32 gives 0, not `crc`, for a view of an empty ArrayBuffer (the section of an
  // index with no records or no keys): every such index failed its own check and was rebuilt.
  if (bytes.byteLength === 0) return crc;
  const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
  return native ? native(bytes, crc) >>> 0 : crc32Slowly(bytes, crc);
}

/** crc32 without zlib's (Node before 20.15): exported for a test that both agree. */
export function crc32Slowly(bytes: Uint8Array, crc: number): number {
  let table = crcTable;
  if (!table) {
    table = crcTable = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c;
    }
  }
  let c = crc ^ -1;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
let crcTable: Int32Array | undefined;
