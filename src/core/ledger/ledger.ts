import type { Pricer, Provider, TokenUsage } from '../pricing/pricer';
import type { AgentId, UsageRecord } from '../sources/types';

/** A usage record as the ledger keeps it: priced once, tagged with the file it came from. */
export interface LedgerRecord extends UsageRecord {
  readonly fileId: number;
  /** Dollars, or null when the model is not in the price table. */
  readonly costUSD: number | null;
  /** Billed tokens: input + output + cache writes + cache reads. */
  readonly totalTokens: number;
}

/** Token and money totals of a set of records. */
export interface Totals {
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  cacheReadTokens: number;
  reasoningOutputTokens: number;
  totalTokens: number;
  /** Sum over priced records; null when no record was priced. */
  costUSD: number | null;
  requests: number;
}

export interface ModelTotals extends Totals {
  readonly model: string;
  /** False when any request of the model could not be priced (costUSD then covers the rest). */
  priced: boolean;
  /** True when some of its counts were estimated from logged text, not reported. */
  estimated?: boolean;
}

/** One agent session, in the shape the CLI prints (ccusage's field meanings). */
export interface SessionSummary extends Totals {
  /** Some counts were estimated from logged text (Copilot Chat without recorded usage). */
  readonly estimated: boolean;
  readonly agent: AgentId;
  readonly sessionId: string;
  readonly cwd: string | undefined;
  readonly firstActivity: number;
  readonly lastActivity: number;
  readonly models: string[];
  readonly unpricedModels: string[];
  readonly byModel: ModelTotals[];
}

/**
 * The agent's pricing provider. The other agents have none of their own: the Cline family's and
 * OpenCode's records carry theirs, Copilot Chat is billed by subscription (unpriced). A Map, not an
 * object indexed by agent: a keyed load that met one agent is deoptimised by the next (when the
 * scan passes from Claude Code's files to Codex's).
 */
const PROVIDER = new Map<AgentId, Provider>([
  ['claude-code', 'anthropic'],
  ['codex', 'openai'],
  ['gemini-cli', 'google'],
]);

function priceOf(pricer: Pricer, provider: Provider | undefined, model: string, usage: TokenUsage, at: number, speed: string | undefined): number | null {
  return provider ? pricer.costAt(provider, model, usage, at, speed) : null;
}

export function emptyTotals(): Totals {
  return {
    inputTokens: 0,
    outputTokens: 0,
    cacheCreationTokens: 0,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    cacheReadTokens: 0,
    reasoningOutputTokens: 0,
    totalTokens: 0,
    costUSD: null,
    requests: 0,
  };
}

/**
 * Empty totals for one model. Properties are added to the emptyTotals() literal one by one, so
 * every such object shares one fast shape; spreading emptyTotals() into a new literal instead gave
 * a slower one, and summing into them cost more than a warm start's whole scan.
 */
export function emptyModelTotals(model: string): ModelTotals {
  return Object.assign(emptyTotals(), { model, priced: true, estimated: false });
}

/** The same for a packed file's part (a model's totals in one file and session). */
function emptyPart(model: string): PackedPart {
  const part = emptyModelTotals(model) as PackedPart;
  part.first = Infinity;
  part.last = -Infinity;
  return part;
}

/** Billed tokens of a record: input, output, both cache writes and cache reads. */
function totalTokens(r: UsageRecord): number {
  return r.inputTokens + r.outputTokens + r.cacheWrite5mTokens + r.cacheWrite1hTokens + r.cacheReadTokens;
}

/**
 * The same number, as a small integer when it is one. A number read from a Float64Array is a
 * boxed double (a heap object) even when whole; kept in an object it makes every sum added to it
 * later box again, where small integers add without allocating (V8).
 */
function small(x: number): number {
  return x >= 0 && x <= 0x3fffffff ? x | 0 : x;
}

/** Adds totals into running totals. */
export function mergeTotals(into: Totals, from: Totals): void {
  into.inputTokens += from.inputTokens;
  into.outputTokens += from.outputTokens;
  into.cacheWrite5mTokens += from.cacheWrite5mTokens;
  into.cacheWrite1hTokens += from.cacheWrite1hTokens;
  into.cacheCreationTokens += from.cacheCreationTokens;
  into.cacheReadTokens += from.cacheReadTokens;
  into.reasoningOutputTokens += from.reasoningOutputTokens;
  into.totalTokens += from.totalTokens;
  into.requests += from.requests;
  if (from.costUSD !== null) into.costUSD = (into.costUSD ?? 0) + from.costUSD;
}

/** Adds one record into running totals. */
export function addRecord(totals: Totals, r: LedgerRecord): void {
  totals.inputTokens += r.inputTokens;
  totals.outputTokens += r.outputTokens;
  totals.cacheWrite5mTokens += r.cacheWrite5mTokens;
  totals.cacheWrite1hTokens += r.cacheWrite1hTokens;
  totals.cacheCreationTokens += r.cacheWrite5mTokens + r.cacheWrite1hTokens;
  totals.cacheReadTokens += r.cacheReadTokens;
  totals.reasoningOutputTokens += r.reasoningOutputTokens;
  totals.totalTokens += r.totalTokens;
  totals.requests += 1;
  if (r.costUSD !== null) totals.costUSD = (totals.costUSD ?? 0) + r.costUSD;
}

/**
 * Numbers per persisted record: session, model (string indexes), timestamp, input, output,
 * 5-minute and 1-hour cache writes, cache reads, reasoning, speed (string index; -1 for none), the
 * key's hash (keyHash; -1 for none), cost (NaN when unpriced), the record's own pricing provider
 * (string index; -1: the agent's), and flags (1: the counted copy of its request, 2: estimated).
 */
export const PACKED_FIELDS = 14;

/**
 * A 52-bit hash of a request key (two 32-bit FNV-1a variants), exact in a float64. Packed files
 * are found by it; a collision costs only an unnecessary unpack, since the records then compete
 * by their real keys.
 */
export function keyHash(key: string): number {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return (a >>> 0) * 0x100000 + (b >>> 12);
}

/**
 * Where a packed file's request keys are: a JSON array (one key per record, '' for none) in a
 * buffer, decoded only when the file is unpacked. A restart that only reports never builds them.
 */
export interface KeySegment {
  readonly blob: Buffer;
  readonly start: number;
  readonly end: number;
}

function segmentKeys(segment: KeySegment, count: number): readonly string[] {
  if (count === 0) return [];
  const keys: unknown = JSON.parse(segment.blob.toString('utf8', segment.start, segment.end));
  if (!Array.isArray(keys) || keys.length !== count || keys.some((k) => typeof k !== 'string')) throw new Error('packed keys do not match their records');
  return keys as string[];
}

/**
 * A file's records as persisted, kept as numbers until something needs them as objects. A restart
 * then costs one pass over numbers per file instead of an object per request: most files never
 * change again, and the sessions report only needs their totals.
 */
export interface PackedRecords {
  readonly agent: AgentId;
  readonly numbers: Float64Array;
  /** Index of the file's first number in `numbers`. */
  readonly start: number;
  readonly count: number;
  /** Session, model, speed and provider names the numbers refer to. */
  readonly strings: readonly string[];
  readonly keys: KeySegment;
  /** Whether the persisted costs were computed with the current prices. */
  costsValid: boolean;
}

/**
 * A part as saved in the index: session, model, input, output, 5-minute and 1-hour cache writes,
 * cache reads, reasoning, requests, dollars (null: none priced), 1 when every request was priced,
 * first and last timestamps.
 */
export type SavedPart = [string, string, number, number, number, number, number, number, number, number | null, number, number, number, number];

/** Numbers of a part as the index stores it: a SavedPart with its names as indices into the name table and NaN for null dollars. */
export const PART_FIELDS = 14;

/** A file's saved parts as the index stores them (PART_FIELDS numbers each). */
export interface PackedParts {
  readonly numbers: Float64Array;
  /** Index of the file's first part number in `numbers`. */
  readonly start: number;
  readonly count: number;
}

function savePart(sessionId: string, p: PackedPart): SavedPart {
  return [sessionId, p.model, p.inputTokens, p.outputTokens, p.cacheWrite5mTokens, p.cacheWrite1hTokens, p.cacheReadTokens, p.reasoningOutputTokens, p.requests, p.costUSD, p.priced ? 1 : 0, p.first, p.last, p.estimated ? 1 : 0];
}

/** The totals one packed file gives one session for one model. */
interface PackedPart extends Totals {
  readonly model: string;
  priced: boolean;
  estimated: boolean;
  first: number;
  last: number;
}

interface PackedFile {
  readonly block: PackedRecords;
  readonly sessions: SessionEntry[];
  /** The block's request keys, once decoded. */
  keys?: readonly string[];
}

/**
 * The keys of packed files, one number per keyed record: its key's hash and its file id together
 * (keyIndexEntry), sorted, so a lookup is a binary search and a restart builds no map (and no
 * string) of every key it ever saw; a save sorts numbers natively instead of pairs by hand.
 */
export interface PackedKeyIndex {
  readonly entries: Float64Array;
  /** The low bits of an entry that hold the file id. */
  readonly fileBits: number;
}

/**
 * A key index entry: the top bits of the 52-bit keyHash above `scale` (2 ** file bits), and the
 * file id below, exact in a float64. Two keys that share the top bits cost only an unnecessary
 * unpack (the records then compete by their real keys); with 850 files, 42 bits are the hash's.
 */
export function keyIndexEntry(hash: number, fileId: number, scale: number): number {
  return Math.floor(hash / scale) * scale + fileId;
}

/** A record and its index in its file's list, for O(1) replacement of streamed copies. */
interface StoredRecord extends LedgerRecord {
  slot: number;
  /** Whether it is the counted copy of its request (attached to its session). */
  counted: boolean;
}

interface SessionEntry {
  readonly agent: AgentId;
  readonly sessionId: string;
  cwd: string | undefined;
  readonly records: Set<LedgerRecord>;
  /** Totals from files still packed: file id → one part per model. */
  readonly packed: Map<number, PackedPart[]>;
}

/**
 * Counts every billed request once. Records with the same key (streamed copies of one message,
 * replays in subagent or resumed transcripts, forked Codex rollouts) compete: the copy with the
 * largest token total wins, ties going to the copy seen first. Each file keeps its best copy, so
 * removing or re-reading a file lets the next best copy take over.
 */
export class Ledger {
  /** Each key's copies: the one copy most keys have, or all of them, the counted one first. */
  private readonly candidates = new Map<string, StoredRecord | StoredRecord[]>();
  private readonly byFile = new Map<number, StoredRecord[]>();
  /** agent → sessionId → entry (nested, so the hot path never builds a key string). */
  private readonly sessions = new Map<AgentId, Map<string, SessionEntry>>();
  private readonly changed = new Set<SessionEntry>();
  /**
   * One-entry memories for the hot path: a file's records nearly always belong to one session and
   * arrive together, so most adds find their session entry, its changed mark and their file's list
   * without a hash lookup. (Session entries are never deleted, so a remembered one stays valid.)
   */
  private lastSession: SessionEntry | undefined;
  private lastTouched: SessionEntry | undefined;
  private lastFile: { id: number; records: StoredRecord[] } | undefined;
  private readonly packed = new Map<number, PackedFile>();
  /** Keys of packed records → their file: a new copy of one of them unpacks that file first. */
  private packedKeys: PackedKeyIndex | undefined;
  private version = 0;

  /**
   * @param preferFile orders two files holding equal copies of one request (negative: the first
   * wins), so the result does not depend on the order files were read. By default the lower id.
   */
  constructor(
    private readonly pricer: Pricer,
    private readonly preferFile: (a: number, b: number) => number = (a, b) => a - b,
  ) {}

  /** Increases whenever the counted records change; cheap to compare. */
  get generation(): number {
    return this.version;
  }

  /** The prices' fingerprint: persisted costs are reused only when it matches. */
  get pricing(): string {
    return this.pricer.fingerprint;
  }

  /**
   * Counts a record, or keeps it as a copy of its request (see the class). `knownCost` and
   * `knownHash` (keyHash of its key) are given by a packed file being unpacked, which saved both.
   */
  add(record: UsageRecord, fileId: number, knownCost?: number | null, knownHash?: number): void {
    if (record.key && this.packed.size > 0) {
      const hash = knownHash ?? keyHash(record.key);
      const owners = this.packedOwners(hash);
      // Another copy from a file whose packed copy is at least as large changes nothing (the
      // same file keeps its larger copy, ties its first): the file stays packed.
      if (owners.includes(fileId) && this.packedCopyHolds(fileId, record, hash)) return;
      for (const owner of owners) this.unpack(owner);
    }
    const held = record.key ? this.candidates.get(record.key) : undefined;
    // A key's only copy is held as itself (no array per request); a second copy makes them a list.
    const rivals = held === undefined || Array.isArray(held) ? held : [held];
    let sameFile = -1;
    if (rivals) {
      for (let i = 0; i < rivals.length && sameFile < 0; i++) if (rivals[i].fileId === fileId) sameFile = i;
      // A later streamed copy in the same file no larger than the one kept changes nothing: it is
      // dropped before it is priced or stored (streamed copies are about half of all usage lines).
      if (sameFile >= 0 && totalTokens(record) <= rivals[sameFile].totalTokens) return;
    }
    const stored = this.store(record, fileId, knownCost);
    const fileRecords = this.recordList(fileId);
    if (!record.key) {
      fileRecords.push(stored);
      this.attach(stored);
      return;
    }
    if (!rivals) {
      this.candidates.set(record.key, stored);
      stored.slot = fileRecords.push(stored) - 1;
      this.attach(stored);
      return;
    }
    // A single copy replaced by a larger one from its own file stays single.
    if (rivals !== held) this.candidates.set(record.key, sameFile >= 0 ? stored : rivals);
    const winner = rivals[0];
    if (sameFile >= 0) {
      // A later streamed copy in the same file, larger: it replaces the one kept.
      const previous = rivals[sameFile];
      rivals[sameFile] = stored;
      stored.slot = previous.slot;
      fileRecords[previous.slot] = stored;
      if (previous === winner) this.detach(previous);
    } else {
      rivals.push(stored);
      stored.slot = fileRecords.push(stored) - 1;
    }
    this.crown(rivals, winner);
  }

  /** The list of a file's stored records, created on its first record. */
  private recordList(fileId: number): StoredRecord[] {
    if (this.lastFile?.id === fileId) return this.lastFile.records;
    let records = this.byFile.get(fileId);
    if (!records) this.byFile.set(fileId, (records = []));
    this.lastFile = { id: fileId, records };
    return records;
  }

  /** Prices a record once and gives every stored record the same shape (one hidden class). */
  private store(r: UsageRecord, fileId: number, knownCost: number | null | undefined): StoredRecord {
    return {
      agent: r.agent,
      sessionId: r.sessionId,
      key: r.key,
      timestamp: r.timestamp,
      model: r.model,
      inputTokens: r.inputTokens,
      outputTokens: r.outputTokens,
      cacheWrite5mTokens: r.cacheWrite5mTokens,
      cacheWrite1hTokens: r.cacheWrite1hTokens,
      cacheReadTokens: r.cacheReadTokens,
      reasoningOutputTokens: r.reasoningOutputTokens,
      speed: r.speed,
      provider: r.provider,
      estimated: r.estimated,
      fileId,
      totalTokens: totalTokens(r),
      costUSD: knownCost !== undefined ? knownCost : priceOf(this.pricer, r.provider ?? PROVIDER.get(r.agent), r.model, r, r.timestamp, r.speed),
      slot: -1,
      counted: false,
    };
  }

  /** Forgets every record, as a new ledger; the generation still moves forward. */
  reset(): void {
    this.candidates.clear();
    this.byFile.clear();
    this.sessions.clear();
    this.changed.clear();
    this.packed.clear();
    this.packedKeys = undefined;
    this.lastSession = undefined;
    this.lastTouched = undefined;
    this.lastFile = undefined;
    this.version++;
  }

  /** Forgets everything a file contributed (the file was deleted, truncated or replaced). */
  removeFile(fileId: number): void {
    // Its copies may have beaten other files' copies: unpack it so they compete again as records.
    this.unpack(fileId);
    const records = this.byFile.get(fileId);
    if (!records) return;
    this.byFile.delete(fileId);
    if (this.lastFile?.id === fileId) this.lastFile = undefined;
    for (const record of records) {
      if (!record.key) {
        this.detach(record);
        continue;
      }
      const rivals = this.candidates.get(record.key);
      if (!rivals) continue;
      if (!Array.isArray(rivals)) {
        // Its key's only copy.
        if (rivals === record) {
          this.detach(record);
          this.candidates.delete(record.key);
        }
        continue;
      }
      const winner = rivals[0];
      rivals.splice(rivals.indexOf(record), 1);
      if (record === winner) this.detach(record);
      if (rivals.length === 0) this.candidates.delete(record.key);
      else this.crown(rivals, record === winner ? undefined : winner);
    }
  }

  /** A session's working folder, if known. */
  sessionCwd(agent: AgentId, sessionId: string): string | undefined {
    return this.sessions.get(agent)?.get(sessionId)?.cwd;
  }

  /** Records a session's working folder (from the file that names it). */
  setSessionCwd(agent: AgentId, sessionId: string, cwd: string): void {
    const entry = this.session(agent, sessionId);
    if (entry.cwd === undefined) entry.cwd = cwd;
  }

  /**
   * The records a file contributed as objects (its best copy of each key), in the order read;
   * records still packed are in `packedBlock` and come before these.
   */
  recordsOfFile(fileId: number): readonly LedgerRecord[] {
    return this.byFile.get(fileId) ?? [];
  }

  /** The packed records of a file, if it has not been unpacked. */
  packedBlock(fileId: number): PackedRecords | undefined {
    return this.packed.get(fileId)?.block;
  }

  /**
   * Restores persisted files, packed: their totals are counted from numbers, using the counted
   * flag saved with each record, until a new copy of one of their requests arrives, the file
   * changes or goes, or its records are asked for.
   */
  restore(files: ReadonlyArray<{ fileId: number; block: PackedRecords; parts: PackedParts }>, keys: PackedKeyIndex): void {
    this.packedKeys = keys;
    for (const { fileId, block, parts } of files) {
      if (block.costsValid) this.attachParts(fileId, block, parts);
      else this.pack(fileId, block);
    }
  }

  /**
   * The totals a still-packed file gives each session and model, for the index (the index sums a
   * file's loose records itself, as it packs them): with them a restart attaches a few numbers per
   * file instead of summing every record again.
   */
  packedPartsOf(fileId: number): SavedPart[] {
    const out: SavedPart[] = [];
    const packed = this.packed.get(fileId);
    if (packed) {
      for (const entry of packed.sessions) for (const p of entry.packed.get(fileId) ?? []) out.push(savePart(entry.sessionId, p));
    }
    return out;
  }

  private attachParts(fileId: number, block: PackedRecords, parts: PackedParts): void {
    // A file's parts are nearly always of one session: the current session's list is kept, and a
    // session met again (parts of several sessions may interleave) is looked up in the few seen.
    const { numbers } = parts;
    const { strings } = block;
    const sessions: SessionEntry[] = [];
    const lists: PackedPart[][] = [];
    let list: PackedPart[] = [];
    let sessionName = -1;
    for (let i = 0, at = parts.start; i < parts.count; i++, at += PART_FIELDS) {
      if (numbers[at] !== sessionName) {
        sessionName = numbers[at];
        const entry = this.session(block.agent, strings[sessionName]);
        const seen = sessions.indexOf(entry);
        if (seen >= 0) {
          list = lists[seen];
        } else {
          sessions.push(entry);
          lists.push((list = []));
          entry.packed.set(fileId, list);
          this.touch(entry);
        }
      }
      const input = small(numbers[at + 2]);
      const output = small(numbers[at + 3]);
      const cw5 = small(numbers[at + 4]);
      const cw1 = small(numbers[at + 5]);
      const cr = small(numbers[at + 6]);
      const cost = numbers[at + 9];
      list.push({
        inputTokens: input,
        outputTokens: output,
        cacheWrite5mTokens: cw5,
        cacheWrite1hTokens: cw1,
        cacheCreationTokens: small(cw5 + cw1),
        cacheReadTokens: cr,
        reasoningOutputTokens: small(numbers[at + 7]),
        totalTokens: small(input + output + cw5 + cw1 + cr),
        requests: small(numbers[at + 8]),
        costUSD: Number.isNaN(cost) ? null : cost,
        model: strings[numbers[at + 1]],
        priced: numbers[at + 10] === 1,
        estimated: numbers[at + 13] === 1,
        first: numbers[at + 11],
        last: numbers[at + 12],
      });
    }
    this.packed.set(fileId, { block, sessions });
  }

  /** The key index restored with the packed files, if any. */
  packedKeyIndex(): PackedKeyIndex | undefined {
    return this.packedKeys;
  }

  /** Whether a stored record is the counted copy of its request. */
  isCounted(record: LedgerRecord): boolean {
    return (record as StoredRecord).counted === true;
  }

  /** Packed files that hold a copy of the request whose keyHash is `hash` (binary search over the sorted entries). */
  private packedOwners(hash: number): number[] {
    const index = this.packedKeys;
    if (!index) return [];
    const { entries } = index;
    const scale = 2 ** index.fileBits;
    const lowest = keyIndexEntry(hash, 0, scale);
    let lo = 0;
    let hi = entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (entries[mid] < lowest) lo = mid + 1;
      else hi = mid;
    }
    const owners: number[] = [];
    for (let i = lo; i < entries.length && entries[i] < lowest + scale; i++) {
      const fileId = entries[i] - lowest;
      if (this.packed.has(fileId) && !owners.includes(fileId)) owners.push(fileId);
    }
    return owners;
  }

  private pack(fileId: number, block: PackedRecords): void {
    const { numbers, strings, agent } = block;
    const parts = new Map<number, Map<number, PackedPart>>();
    // Records of a file are mostly one session and one model: remember the last part.
    let lastS = -1;
    let lastM = -1;
    let part: PackedPart | undefined;
    const usage = { inputTokens: 0, outputTokens: 0, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, cacheReadTokens: 0 };
    for (let i = 0, at = block.start; i < block.count; i++, at += PACKED_FIELDS) {
      if (!block.costsValid) {
        usage.inputTokens = numbers[at + 3];
        usage.outputTokens = numbers[at + 4];
        usage.cacheWrite5mTokens = numbers[at + 5];
        usage.cacheWrite1hTokens = numbers[at + 6];
        usage.cacheReadTokens = numbers[at + 7];
        const sp = numbers[at + 9];
        const own = numbers[at + 12];
        const provider = own >= 0 ? (strings[own] as Provider) : PROVIDER.get(agent);
        numbers[at + 11] = priceOf(this.pricer, provider, strings[numbers[at + 1]], usage, numbers[at + 2], sp < 0 ? undefined : strings[sp]) ?? NaN;
      }
      const flags = numbers[at + 13];
      if ((flags & 1) === 0) continue; // a copy another file's record beat
      const s = numbers[at];
      const m = numbers[at + 1];
      if (s !== lastS || m !== lastM || !part) {
        let bySession = parts.get(s);
        if (!bySession) parts.set(s, (bySession = new Map()));
        part = bySession.get(m);
        if (!part) bySession.set(m, (part = emptyPart(strings[m])));
        lastS = s;
        lastM = m;
      }
      const input = numbers[at + 3];
      const output = numbers[at + 4];
      const cw5 = numbers[at + 5];
      const cw1 = numbers[at + 6];
      const cr = numbers[at + 7];
      part.inputTokens += input;
      part.outputTokens += output;
      part.cacheWrite5mTokens += cw5;
      part.cacheWrite1hTokens += cw1;
      part.cacheCreationTokens += cw5 + cw1;
      part.cacheReadTokens += cr;
      part.reasoningOutputTokens += numbers[at + 8];
      part.totalTokens += input + output + cw5 + cw1 + cr;
      part.requests += 1;
      const cost = numbers[at + 11];
      if (flags & 2) part.estimated = true;
      if (Number.isNaN(cost)) part.priced = false;
      else part.costUSD = (part.costUSD ?? 0) + cost;
      const ts = numbers[at + 2];
      if (ts < part.first) part.first = ts;
      if (ts > part.last) part.last = ts;
    }
    block.costsValid = true;
    const sessions: SessionEntry[] = [];
    for (const [s, byModel] of parts) {
      const entry = this.session(agent, strings[s]);
      entry.packed.set(fileId, [...byModel.values()]);
      sessions.push(entry);
      this.touch(entry);
    }
    this.packed.set(fileId, { block, sessions });
  }

  /** Turns a packed file into records (a copy of one of its requests arrived, or records were asked for). */
  private unpack(fileId: number): void {
    const file = this.packed.get(fileId);
    if (!file) return;
    this.dropPacked(fileId);
    this.addBlock(fileId, file.block, this.keysOf(file));
  }

  /** A packed file's request keys, decoded once. */
  private keysOf(file: PackedFile): readonly string[] {
    file.keys ??= segmentKeys(file.block.keys, file.block.count);
    return file.keys;
  }

  /** Whether a packed file holds a copy of the record's request with at least its total. */
  private packedCopyHolds(fileId: number, record: UsageRecord, hash: number): boolean {
    const file = this.packed.get(fileId);
    if (!file) return false;
    const { numbers, start, count } = file.block;
    const total = totalTokens(record);
    for (let i = 0, at = start; i < count; i++, at += PACKED_FIELDS) {
      if (numbers[at + 10] !== hash || this.keysOf(file)[i] !== record.key) continue;
      return numbers[at + 3] + numbers[at + 4] + numbers[at + 5] + numbers[at + 6] + numbers[at + 7] >= total;
    }
    return false;
  }

  private dropPacked(fileId: number): void {
    const file = this.packed.get(fileId);
    if (!file) return;
    this.packed.delete(fileId);
    for (const entry of file.sessions) {
      entry.packed.delete(fileId);
      this.touch(entry);
    }
  }

  private addBlock(fileId: number, block: PackedRecords, keys: readonly string[]): void {
    const { numbers, strings } = block;
    for (let i = 0, at = block.start; i < block.count; i++, at += PACKED_FIELDS) {
      const speed = numbers[at + 9];
      const cost = numbers[at + 11];
      const provider = numbers[at + 12];
      this.add(
        {
          agent: block.agent,
          sessionId: strings[numbers[at]],
          key: keys[i],
          timestamp: numbers[at + 2],
          model: strings[numbers[at + 1]],
          inputTokens: numbers[at + 3],
          outputTokens: numbers[at + 4],
          cacheWrite5mTokens: numbers[at + 5],
          cacheWrite1hTokens: numbers[at + 6],
          cacheReadTokens: numbers[at + 7],
          reasoningOutputTokens: numbers[at + 8],
          speed: speed < 0 ? undefined : strings[speed],
          provider: provider < 0 ? undefined : (strings[provider] as Provider),
          estimated: (numbers[at + 13] & 2) !== 0 ? true : undefined,
        },
        fileId,
        block.costsValid ? (Number.isNaN(cost) ? null : cost) : undefined,
        numbers[at + 10],
      );
    }
  }

  /** Counted records of one session, oldest first. */
  sessionRecords(agent: AgentId, sessionId: string): LedgerRecord[] {
    const entry = this.sessions.get(agent)?.get(sessionId);
    if (!entry) return [];
    for (const fileId of [...entry.packed.keys()]) this.unpack(fileId);
    return [...entry.records].sort((a, b) => a.timestamp - b.timestamp);
  }

  /** Session keys (`agent:sessionId`) whose records changed since the last call. */
  drainChanged(): string[] {
    const keys = [...this.changed].map((e) => sessionKey(e.agent, e.sessionId));
    this.changed.clear();
    this.lastTouched = undefined;
    return keys;
  }

  summaries(filter?: (agent: AgentId, sessionId: string, cwd: string | undefined) => boolean): SessionSummary[] {
    const out: SessionSummary[] = [];
    for (const entry of this.allSessions()) {
      if (entry.records.size === 0 && entry.packed.size === 0) continue;
      if (filter && !filter(entry.agent, entry.sessionId, entry.cwd)) continue;
      out.push(summarise(entry));
    }
    return out.sort((a, b) => a.firstActivity - b.firstActivity || a.sessionId.localeCompare(b.sessionId));
  }

  summary(agent: AgentId, sessionId: string): SessionSummary | undefined {
    const entry = this.sessions.get(agent)?.get(sessionId);
    return entry && (entry.records.size > 0 || entry.packed.size > 0) ? summarise(entry) : undefined;
  }

  /** Makes the largest rival the counted one (ties: the preferred file). */
  private crown(rivals: StoredRecord[], current: StoredRecord | undefined): void {
    let best = 0;
    for (let i = 1; i < rivals.length; i++) {
      const a = rivals[i];
      const b = rivals[best];
      if (a.totalTokens > b.totalTokens || (a.totalTokens === b.totalTokens && this.preferFile(a.fileId, b.fileId) < 0)) best = i;
    }
    if (best !== 0) {
      const [top] = rivals.splice(best, 1);
      rivals.unshift(top);
    }
    if (rivals[0] !== current) {
      if (current?.counted) this.detach(current);
      this.attach(rivals[0]);
    }
  }

  private attach(record: StoredRecord): void {
    const entry = this.session(record.agent, record.sessionId);
    entry.records.add(record);
    record.counted = true;
    this.touch(entry);
  }

  private detach(record: StoredRecord): void {
    record.counted = false;
    const entry = this.sessions.get(record.agent)?.get(record.sessionId);
    if (entry?.records.delete(record)) this.touch(entry);
  }

  private touch(entry: SessionEntry): void {
    if (entry !== this.lastTouched) {
      this.changed.add(entry);
      this.lastTouched = entry;
    }
    this.version++;
  }

  private *allSessions(): Iterable<SessionEntry> {
    for (const byId of this.sessions.values()) yield* byId.values();
  }

  private session(agent: AgentId, sessionId: string): SessionEntry {
    const last = this.lastSession;
    if (last !== undefined && last.sessionId === sessionId && last.agent === agent) return last;
    let byId = this.sessions.get(agent);
    if (!byId) this.sessions.set(agent, (byId = new Map()));
    let entry = byId.get(sessionId);
    if (!entry) byId.set(sessionId, (entry = { agent, sessionId, cwd: undefined, records: new Set(), packed: new Map() }));
    this.lastSession = entry;
    return entry;
  }
}

export function sessionKey(agent: AgentId, sessionId: string): string {
  return `${agent}:${sessionId}`;
}

function summarise(entry: SessionEntry): SessionSummary {
  const totals = emptyTotals();
  const byModel = new Map<string, ModelTotals>();
  let first = Infinity;
  let last = -Infinity;
  for (const r of entry.records) {
    addRecord(totals, r);
    let m = byModel.get(r.model);
    if (!m) byModel.set(r.model, (m = emptyModelTotals(r.model)));
    addRecord(m, r);
    // A known model can still be unpriced for a request (fast mode without fast rates).
    if (r.costUSD === null) m.priced = false;
    if (r.estimated) m.estimated = true;
    if (r.timestamp < first) first = r.timestamp;
    if (r.timestamp > last) last = r.timestamp;
  }
  for (const parts of entry.packed.values()) {
    for (const p of parts) {
      mergeTotals(totals, p);
      let m = byModel.get(p.model);
      if (!m) byModel.set(p.model, (m = emptyModelTotals(p.model)));
      mergeTotals(m, p);
      if (!p.priced) m.priced = false;
      if (p.estimated) m.estimated = true;
      if (p.first < first) first = p.first;
      if (p.last > last) last = p.last;
    }
  }
  const models = [...byModel.keys()].sort();
  // Written out rather than spread from `totals`: a spread into this many properties makes V8 build
  // a dictionary-mode object, ~5 KB each and slower to read.
  return {
    inputTokens: totals.inputTokens,
    outputTokens: totals.outputTokens,
    cacheCreationTokens: totals.cacheCreationTokens,
    cacheWrite5mTokens: totals.cacheWrite5mTokens,
    cacheWrite1hTokens: totals.cacheWrite1hTokens,
    cacheReadTokens: totals.cacheReadTokens,
    reasoningOutputTokens: totals.reasoningOutputTokens,
    totalTokens: totals.totalTokens,
    costUSD: totals.costUSD,
    requests: totals.requests,
    agent: entry.agent,
    sessionId: entry.sessionId,
    cwd: entry.cwd,
    firstActivity: first,
    lastActivity: last,
    models,
    unpricedModels: models.filter((m) => !byModel.get(m)!.priced),
    estimated: [...byModel.values()].some((m) => m.estimated === true),
    byModel: [...byModel.values()].sort((a, b) => (b.costUSD ?? 0) - (a.costUSD ?? 0) || b.totalTokens - a.totalTokens),
  };
}
