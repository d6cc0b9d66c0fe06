import fs = require('node:fs');
import type { AgentSource, FileParser, SourceEnv } from '../sources/source';
import type { ActivityEvent, AgentId, ParseSink, Skip, SkipReason, UsageRecord } from '../sources/types';
import { monotonicMs } from '../util/clock';
import { walkFiles } from './walk';

/** Where parsed records go (the ledger). */
export interface RecordSink {
  add(record: UsageRecord, fileId: number): void;
  removeFile(fileId: number): void;
  setSessionCwd(agent: AgentId, sessionId: string, cwd: string): void;
}

/** A log file found below a root, with the source that reads it. */
export interface FoundFile {
  readonly source: AgentSource;
  readonly file: string;
}

/** What the scanner remembers of a file between reads (and, persisted, between runs). */
export interface FileState {
  readonly id: number;
  readonly path: string;
  readonly agent: AgentId;
  size: number;
  mtimeMs: number;
  ino: number;
  /** Bytes consumed: everything before is parsed; a partial last line starts here. */
  offset: number;
  parserState: unknown;
  /** Lines and files skipped so far, by reason. */
  skips: Partial<Record<SkipReason, number>>;
}

export interface ScanStats {
  filesSeen: number;
  filesRead: number;
  bytesRead: number;
  /** Files seen for the first time. */
  filesAdded: number;
  filesRemoved: number;
  records: number;
  /** The scan's skips in full, the first maxSkipDetails of them. */
  skips: Skip[];
  /** Every skip of the scan, counted by reason (complete, unlike `skips`). */
  skipCounts: Partial<Record<SkipReason, number>>;
  /** Of those, the skips not kept in a file's state: a folder it could not read, a file it could not open. */
  skipsWithoutFile: number;
  elapsedMs: number;
}

export interface ScannerOptions {
  readonly sources: readonly AgentSource[];
  readonly env: SourceEnv;
  readonly ledger: RecordSink;
  /** Whether to emit activity for a file (the host wants it for recent sessions only). */
  readonly wantActivity?: (file: string, agent: AgentId, mtimeMs: number) => boolean;
  readonly onActivity?: (event: ActivityEvent) => void;
  /** Skips are kept in stats up to this many (the counts are always complete). 200 by default. */
  readonly maxSkipDetails?: number;
  /** Longest line read; longer lines are skipped. MAX_LINE_BYTES by default (a seam for tests). */
  readonly maxLineBytes?: number;
}

/**
 * 64 MiB: no billed record comes near it (an assistant line is at most a few hundred KB); a longer
 * line is a tool output nobody bills for, skipped with a reason rather than held in memory.
 */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;
/** 4 MiB reads: large enough that syscalls cost nothing, small enough to stay in cache. */
const READ_CHUNK = 4 * 1024 * 1024;

/**
 * Finds every agent log, reads only the bytes appended since the last read, and feeds the ledger.
 * A file that shrank or was replaced (new inode) is forgotten and read again from the start.
 */
export class Scanner {
  private readonly files = new Map<string, FileState>();
  private readonly paths = new Map<number, string>();
  private readonly parsers = new Map<number, { parser: FileParser; activity: boolean }>();
  private stats: ScanStats = newStats();
  private nextId = 1;
  private buffer: Buffer;
  /** Each source's roots, worked out once: they depend only on the environment the scanner was given. */
  private readonly sourceRoots: ReadonlyArray<{ source: AgentSource; roots: readonly string[] }>;

  constructor(private readonly options: ScannerOptions) {
    this.buffer = Buffer.allocUnsafe(Math.min(READ_CHUNK, options.maxLineBytes ?? READ_CHUNK));
    this.sourceRoots = options.sources.map((source) => ({ source, roots: source.roots(options.env) }));
  }

  /**
   * Restores files from a persisted index (their records must already be in the ledger). The
   * states are taken over, not copied: the index built them for the scanner alone.
   */
  restore(files: readonly FileState[]): void {
    for (const f of files) {
      this.files.set(f.path, f);
      this.paths.set(f.id, f.path);
      this.nextId = Math.max(this.nextId, f.id + 1);
      this.noteSession(f);
    }
  }

  /**
   * The state of a file by id, while the file is known, with its parser's state as of now: the
   * ledger ranks files by it (preferFile) while a file is still being read, and the state saved at
   * the end of the last read would not yet know, say, when a Codex rollout started.
   */
  stateOf(id: number): FileState | undefined {
    const file = this.paths.get(id);
    const state = file === undefined ? undefined : this.files.get(file);
    const kept = this.parsers.get(id);
    if (state && kept) state.parserState = kept.parser.saveState();
    return state;
  }

  fileStates(): FileState[] {
    return [...this.files.values()];
  }

  /** The roots every source reads, for watchers. */
  roots(): Array<{ agent: AgentId; root: string }> {
    return this.sourceRoots.flatMap(({ source, roots }) => roots.map((root) => ({ agent: source.agent, root })));
  }

  /** Lists every log file and reads what changed; removes files that are gone. */
  scanAll(found?: readonly FoundFile[], skip?: ReadonlySet<string>): ScanStats {
    const steps = this.scanSteps(found, skip);
    let step = steps.next();
    while (!step.done) step = steps.next();
    return step.value;
  }

  /**
   * The same as scanAll, yielding to the event loop every `sliceMs` so an editor stays responsive
   * during a first scan of gigabytes (16 ms: one frame).
   */
  async scanAllAsync(sliceMs = 16): Promise<ScanStats> {
    const steps = this.scanSteps();
    let sliceStart = monotonicMs();
    let step = steps.next();
    while (!step.done) {
      if (monotonicMs() - sliceStart > sliceMs) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        sliceStart = monotonicMs();
      }
      step = steps.next();
    }
    return step.value;
  }

  /**
   * Every log file below every root, each once, in a stable order; unreadable folders are skips.
   * Sources that share a root (OpenCode's message files and database, Gemini's two formats) share
   * one walk of it, which enters only folders one of them can use; a file goes to the first
   * source, in the sources' order, that takes it.
   */
  discover(stats: ScanStats = newStats()): FoundFile[] {
    const out: FoundFile[] = [];
    const seen = new Set<string>();
    for (const [root, sources] of this.sourcesByRoot()) {
      const found = walkFiles(
        root,
        (rel) => sources.find((s) => s.isLogFile(rel)),
        (folder, error) => this.skip(stats, undefined, { reason: 'unreadable-folder', file: folder, detail: error.code ?? error.message }),
        entersAny(sources),
      );
      for (const { file, match } of found) {
        if (seen.has(file)) continue;
        seen.add(file);
        out.push({ source: match, file });
      }
    }
    return out;
  }

  /** Tells the ledger again which folder each file's sessions work in (after it was reset). */
  noteSessions(): void {
    for (const state of this.files.values()) this.noteSession(state);
  }

  /** Whether a folder below `root` (its relative path) can hold logs of the sources that read it, for watchers. */
  descendFor(root: string): (relativeFolder: string) => boolean {
    return entersAny(this.sourcesByRoot().get(root) ?? []);
  }

  /** Each root, with the sources that read it, in the sources' order. */
  private sourcesByRoot(): Map<string, AgentSource[]> {
    const byRoot = new Map<string, AgentSource[]>();
    for (const { source, roots } of this.sourceRoots) {
      for (const root of roots) {
        const sources = byRoot.get(root);
        if (!sources) byRoot.set(root, [source]);
        else if (!sources.includes(source)) sources.push(source);
      }
    }
    return byRoot;
  }

  /**
   * How many lines and files the logs the scanner holds were passed over in: what each file's
   * state kept, over every read of it (a restart's index carries them), and what `stats` passed
   * over outside any file.
   */
  skippedSoFar(stats: Pick<ScanStats, 'skipsWithoutFile'>): number {
    let total = stats.skipsWithoutFile;
    for (const state of this.files.values()) total += countAll(state.skips);
    return total;
  }

  /** Whether the scanner already holds state for a file (it will read only new bytes). */
  knows(file: string): boolean {
    return this.files.has(file);
  }

  private *scanSteps(found?: readonly FoundFile[], skip?: ReadonlySet<string>): Generator<void, ScanStats> {
    const started = monotonicMs();
    const stats = newStats();
    const files = found ?? this.discover(stats);
    const present = new Set<string>();
    for (const { source, file } of files) {
      present.add(file);
      if (skip?.has(file)) continue;
      this.readFile(source, file, stats);
      yield;
    }
    for (const [file, state] of this.files) {
      if (!present.has(file)) this.forget(state, stats);
    }
    stats.filesSeen = present.size;
    stats.elapsedMs = monotonicMs() - started;
    return stats;
  }

  /** Reads the given files (from watcher events); unknown paths are matched to their source. */
  scanPaths(paths: Iterable<string>): ScanStats {
    const started = monotonicMs();
    const stats = newStats();
    for (const file of paths) {
      const source = this.sourceOf(file);
      if (!source) continue;
      stats.filesSeen++;
      this.readFile(source, file, stats);
    }
    stats.elapsedMs = monotonicMs() - started;
    return stats;
  }

  private sourceOf(file: string): AgentSource | undefined {
    const known = this.files.get(file);
    for (const { source, roots } of this.sourceRoots) {
      if (known && known.agent !== source.agent) continue;
      for (const root of roots) {
        if (file.startsWith(root + '/') || file.startsWith(root + '\\')) {
          if (source.isLogFile(file.slice(root.length + 1))) return source;
        }
      }
    }
    return undefined;
  }

  private readFile(source: AgentSource, file: string, stats: ScanStats): void {
    // An unchanged file costs one stat, not open + fstat + close (a warm start stats every file).
    const known = this.files.get(file);
    if (known) {
      const st = fs.statSync(file, { throwIfNoEntry: false });
      if (st && st.ino === known.ino && st.size === known.size && st.mtimeMs === known.mtimeMs) return;
    }
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch (error) {
      const known = this.files.get(file);
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        if (known) this.forget(known, stats);
      } else {
        // This scan's, not the file's: the next scan tries again (its stat still differs).
        this.skip(stats, undefined, { reason: 'unreadable-file', file, detail: (error as NodeJS.ErrnoException).code });
      }
      return;
    }
    try {
      const st = fs.fstatSync(fd);
      let state = this.files.get(file);
      if (state && source.mode !== 'document' && (st.ino !== state.ino || st.size < state.offset)) {
        this.skip(stats, undefined, { reason: 'file-truncated', file, detail: st.ino !== state.ino ? 'replaced' : `shrank from ${state.offset} to ${st.size} bytes` });
        this.forget(state, stats);
        state = undefined;
      }
      if (state && st.size === state.size && st.mtimeMs === state.mtimeMs) return;
      if (!state) {
        state = { id: this.nextId++, path: file, agent: source.agent, size: 0, mtimeMs: 0, ino: st.ino, offset: 0, parserState: undefined, skips: {} };
        this.files.set(file, state);
        this.paths.set(state.id, file);
        stats.filesAdded++;
      }
      state.size = st.size;
      state.mtimeMs = st.mtimeMs;
      if (source.mode === 'document') state.ino = st.ino;
      if (source.mode === 'document') this.readDocument(source, state, fd, st.size, stats);
      else if (st.size > state.offset) this.readRange(source, state, fd, st.size, stats);
    } finally {
      fs.closeSync(fd);
    }
  }

  private readRange(source: AgentSource, state: FileState, fd: number, size: number, stats: ScanStats): void {
    this.stats = stats;
    const parser = this.parserFor(source, state);
    stats.filesRead++;
    let position = state.offset;
    let carry = 0; // bytes at the front of the buffer read but not yet consumed
    let skippingLongLine = false;
    while (position < size) {
      const want = Math.min(size - position, this.buffer.length - carry);
      let got: number;
      try {
        got = fs.readSync(fd, this.buffer, carry, want, position);
      } catch (error) {
        this.readFailed(state, error, stats);
        break;
      }
      if (got === 0) {
        // The file shrank while we read it: what was parsed stands; the next scan sees the size.
        this.skip(stats, state, { reason: 'file-vanished', file: state.path, detail: `ended at ${position} of ${size} bytes` });
        break;
      }
      stats.bytesRead += got;
      position += got;
      const end = carry + got;
      const base = position - end; // file offset of buffer[0]
      let from = 0;
      if (skippingLongLine) {
        const nl = this.buffer.indexOf(0x0a);
        if (nl < 0 || nl >= end) {
          carry = 0;
          state.offset = position;
          continue;
        }
        from = nl + 1;
        skippingLongLine = false;
      }
      const view = from === 0 ? this.buffer : this.buffer.subarray(from);
      const consumedEnd = from + parser.parse(view, end - from, base + from);
      state.offset = base + consumedEnd;
      carry = end - consumedEnd;
      if (carry === 0) continue;
      if (consumedEnd > 0) {
        this.buffer.copy(this.buffer, 0, consumedEnd, end);
      } else if (end === this.buffer.length) {
        // One line fills the buffer: grow up to the limit, then give up on that line.
        const limit = this.options.maxLineBytes ?? MAX_LINE_BYTES;
        if (this.buffer.length < limit) {
          const bigger = Buffer.allocUnsafe(Math.min(this.buffer.length * 2, limit));
          this.buffer.copy(bigger, 0, 0, carry);
          this.buffer = bigger;
        } else {
          this.skip(stats, state, { reason: 'line-too-long', file: state.path, offset: state.offset, detail: `over ${limit} bytes` });
          skippingLongLine = true;
          carry = 0;
          state.offset = position;
        }
      }
    }
    state.parserState = parser.saveState();
    this.noteSession(state);
    if (this.buffer.length > READ_CHUNK * 4) this.buffer = Buffer.allocUnsafe(READ_CHUNK); // give a grown buffer back
  }

  /**
   * Reads a whole document (a file rewritten in place). Its records replace the file's previous
   * ones only when the parser read a valid document: a tool that rewrites non-atomically leaves a
   * half-written file for a moment, and the last good parse is what a user expects to see then.
   */
  private readDocument(source: AgentSource, state: FileState, fd: number, size: number, stats: ScanStats): void {
    this.stats = stats;
    const limit = this.options.maxLineBytes ?? source.maxDocumentBytes ?? MAX_LINE_BYTES;
    if (size > limit) {
      this.skip(stats, state, { reason: 'line-too-long', file: state.path, detail: `document over ${limit} bytes` });
      return;
    }
    const buf = Buffer.allocUnsafe(size);
    let got = 0;
    try {
      while (got < size) {
        const n = fs.readSync(fd, buf, got, size - got, got);
        if (n === 0) break;
        got += n;
      }
    } catch (error) {
      this.readFailed(state, error, stats);
      return;
    }
    stats.filesRead++;
    stats.bytesRead += got;
    const activity = this.options.wantActivity?.(state.path, source.agent, state.mtimeMs) ?? false;
    const records: UsageRecord[] = [];
    const events: ActivityEvent[] = [];
    const sink: ParseSink = {
      usage: (record) => records.push(record),
      activity: activity ? (event) => events.push(event) : undefined,
      skip: (s: Skip) => this.skip(stats, this.files.get(state.path), s),
    };
    const parser = source.createParser(state.path, sink, { activity }, state.parserState);
    if (parser.parse(buf, got, 0) !== got) return; // not a valid document (yet): keep the last good parse
    this.options.ledger.removeFile(state.id);
    for (const r of records) this.options.ledger.add(r, state.id);
    stats.records += records.length;
    for (const e of events) this.options.onActivity?.(e);
    state.offset = got;
    state.parserState = parser.saveState();
    this.noteSession(state);
  }

  /**
   * One parser per file, kept between reads so in-memory context (tool names for errors) survives;
   * rebuilt from the saved state when the activity wish changes or after a restart.
   */
  private parserFor(source: AgentSource, state: FileState): FileParser {
    const activity = this.options.wantActivity?.(state.path, source.agent, state.mtimeMs) ?? false;
    const kept = this.parsers.get(state.id);
    if (kept && kept.activity === activity) return kept.parser;
    const sink: ParseSink = {
      usage: (record: UsageRecord) => {
        this.stats.records++;
        this.options.ledger.add(record, state.id);
      },
      activity: activity ? (event) => this.options.onActivity?.(event) : undefined,
      skip: (s: Skip) => this.skip(this.stats, this.files.get(state.path), s),
    };
    const parser = source.createParser(state.path, sink, { activity }, kept ? kept.parser.saveState() : state.parserState);
    this.parsers.set(state.id, { parser, activity });
    return parser;
  }

  /**
   * Tells the ledger which folder a file's sessions work in: parsers keep `sessionId` and `cwd`,
   * or `sessions: [{ sessionId, cwd }]` when one file holds many (a database).
   */
  private noteSession(state: FileState): void {
    const ps = state.parserState as { sessionId?: string; cwd?: string; sessions?: Array<{ sessionId?: unknown; cwd?: unknown }> } | undefined;
    if (ps?.sessionId && ps.cwd) this.options.ledger.setSessionCwd(state.agent, ps.sessionId, ps.cwd);
    if (Array.isArray(ps?.sessions)) {
      for (const s of ps.sessions) if (typeof s?.sessionId === 'string' && typeof s.cwd === 'string') this.options.ledger.setSessionCwd(state.agent, s.sessionId, s.cwd);
    }
  }

  private forget(state: FileState, stats: ScanStats): void {
    this.options.ledger.removeFile(state.id);
    this.files.delete(state.path);
    this.paths.delete(state.id);
    this.parsers.delete(state.id);
    stats.filesRemoved++;
  }

  /**
   * A read that failed part way (an I/O error): reported as this scan's skip, and the file's
   * modification time forgotten so that the next scan, seeing the same size and time, does not
   * take it for read and tries again from where this one stopped.
   */
  private readFailed(state: FileState, error: unknown, stats: ScanStats): void {
    this.skip(stats, undefined, { reason: 'unreadable-file', file: state.path, detail: (error as NodeJS.ErrnoException).code });
    state.mtimeMs = NaN;
  }

  private skip(stats: ScanStats, state: FileState | undefined, s: Skip): void {
    if (state) state.skips[s.reason] = (state.skips[s.reason] ?? 0) + 1;
    else stats.skipsWithoutFile++;
    stats.skipCounts[s.reason] = (stats.skipCounts[s.reason] ?? 0) + 1;
    if (stats.skips.length < (this.options.maxSkipDetails ?? 200)) stats.skips.push(s);
  }
}

/** How many lines and files a scan passed over, all reasons together. */
export function skipTotal(stats: Pick<ScanStats, 'skipCounts'>): number {
  return countAll(stats.skipCounts);
}

/** The sum of skip counts by reason (a scan's, or a file's over all its reads). */
function countAll(counts: Partial<Record<SkipReason, number>>): number {
  let total = 0;
  for (const n of Object.values(counts)) total += n;
  return total;
}

/**
 * What a scan passed over, for a log: a line per reason with its complete count (after `prefix`),
 * then the first `details` skips one per line, and how many more there were.
 */
export function skipReport(stats: Pick<ScanStats, 'skips' | 'skipCounts'>, details: number, prefix = ''): string[] {
  const lines = Object.entries(stats.skipCounts).map(([reason, n]) => `${prefix}skipped ${n} × ${reason}`);
  const listed = stats.skips.slice(0, details);
  for (const s of listed) lines.push(`  ${s.reason}: ${s.file}${s.offset !== undefined ? ` at byte ${s.offset}` : ''}${s.detail ? ` (${s.detail})` : ''}`);
  const more = skipTotal(stats) - listed.length;
  if (listed.length > 0 && more > 0) lines.push(`  and ${more} more`);
  return lines;
}

/** Whether any of the sources can use a folder below their shared root. */
function entersAny(sources: readonly AgentSource[]): (relativeFolder: string) => boolean {
  return (relativeFolder) => sources.some((s) => s.descend?.(relativeFolder) ?? true);
}

export function newStats(): ScanStats {
  return { filesSeen: 0, filesRead: 0, bytesRead: 0, filesAdded: 0, filesRemoved: 0, records: 0, skips: [], skipCounts: {}, skipsWithoutFile: 0, elapsedMs: 0 };
}
