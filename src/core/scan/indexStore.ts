import * as fs from 'node:fs';
import type { Ledger } from '../ledger/ledger';
import type { AgentId } from '../sources/types';
import { writeFileAtomic } from '../util/atomicWrite';
import type { FileState } from './scanner';

/**
 * The persisted index: each file's offset, parser state and the records it contributed, so a
 * restart reads only what changed. Bump FORMAT when parsing rules change: an index written by other
 * rules is rebuilt, never trusted.
 */
export const INDEX_FORMAT = 4;
const MAGIC = 0x58494d41; // "AMIX"
/** Numbers per record: session, model, timestamp, 6 token counts, speed, key. */
const FIELDS = 11;

interface Header {
  format: number;
  savedAt: string;
  files: Array<Omit<FileState, 'id'> & { id: number; records: number }>;
  strings: string[];
}

export class IndexError extends Error {}

/** Serialises the scanner's files and the ledger's records into one buffer. */
export function encodeIndex(files: readonly FileState[], ledger: Ledger): Buffer {
  const strings: string[] = [];
  const ids = new Map<string, number>();
  const intern = (s: string): number => {
    let id = ids.get(s);
    if (id === undefined) {
      id = strings.length;
      strings.push(s);
      ids.set(s, id);
    }
    return id;
  };
  const headerFiles: Header['files'] = [];
  const perFile = files.map((f) => ledger.recordsOfFile(f.id));
  const total = perFile.reduce((n, r) => n + r.length, 0);
  const numbers = new Float64Array(total * FIELDS);
  let at = 0;
  files.forEach((f, i) => {
    headerFiles.push({ ...f, records: perFile[i].length });
    for (const r of perFile[i]) {
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
      numbers[at++] = r.key ? intern(r.key) : -1;
    }
  });
  const header: Header = { format: INDEX_FORMAT, savedAt: new Date().toISOString(), files: headerFiles, strings };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const bodyStart = align8(12 + json.length);
  const out = Buffer.alloc(bodyStart + numbers.byteLength);
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(INDEX_FORMAT, 4);
  out.writeUInt32LE(json.length, 8);
  json.copy(out, 12);
  Buffer.from(numbers.buffer).copy(out, bodyStart);
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
  if (!Number.isFinite(total) || data.length !== bodyStart + total * FIELDS * 8) throw new IndexError('index body does not match its header');
  const body = data.byteOffset % 8 === 0 ? data : Buffer.from(data);
  const numbers = new Float64Array(body.buffer, body.byteOffset + bodyStart, total * FIELDS);
  const { strings } = header;
  // Validate everything before touching the ledger, so a corrupt index adds nothing.
  for (const f of header.files) {
    if (typeof f.path !== 'string' || typeof f.offset !== 'number' || typeof f.id !== 'number') throw new IndexError('index file entry is malformed');
  }
  const isString = (n: number, optional: boolean): boolean => (optional && n === -1) || (Number.isInteger(n) && n >= 0 && n < strings.length && typeof strings[n] === 'string');
  for (let at = 0; at < numbers.length; at += FIELDS) {
    if (!isString(numbers[at], false) || !isString(numbers[at + 1], false) || !isString(numbers[at + 9], true) || !isString(numbers[at + 10], true)) {
      throw new IndexError('index refers to a missing string');
    }
  }
  const files = header.files.map(({ records: _records, ...f }) => f);
  onFiles?.(files);
  let at = 0;
  for (const f of header.files) {
    const agent = f.agent as AgentId;
    for (let i = 0; i < f.records; i++, at += FIELDS) {
      const speed = numbers[at + 9];
      const key = numbers[at + 10];
      ledger.add(
        {
          agent,
          sessionId: strings[numbers[at]],
          key: key < 0 ? '' : strings[key],
          timestamp: numbers[at + 2],
          model: strings[numbers[at + 1]],
          inputTokens: numbers[at + 3],
          outputTokens: numbers[at + 4],
          cacheWrite5mTokens: numbers[at + 5],
          cacheWrite1hTokens: numbers[at + 6],
          cacheReadTokens: numbers[at + 7],
          reasoningOutputTokens: numbers[at + 8],
          speed: speed < 0 ? undefined : strings[speed],
        },
        f.id,
      );
    }
  }
  return files;
}

export function saveIndex(file: string, files: readonly FileState[], ledger: Ledger): void {
  writeFileAtomic(file, encodeIndex(files, ledger));
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
