import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Ledger } from './ledger/ledger';
import type { Pricer } from './pricing/pricer';
import { IndexError, loadIndex, saveIndex } from './scan/indexStore';
import { startScanWorker } from './scan/parallelScan';
import { Scanner, type FileState, type ScanStats } from './scan/scanner';
import { claudeSource } from './sources/claude/claudeSource';
import { clineSource, kiloCodeSource, rooCodeSource } from './sources/cline/clineSource';
import { codexSource } from './sources/codex/codexSource';
import { copilotEmptyWindowSource, copilotWorkspaceSource } from './sources/copilot/copilotSource';
import { geminiDocumentSource, geminiLogSource } from './sources/gemini/geminiSource';
import { opencodeDbSource, opencodeStorageSource } from './sources/opencode/opencodeSource';
import type { AgentSource, SourceEnv } from './sources/source';
import type { ActivityEvent, AgentId } from './sources/types';

export const ALL_SOURCES: readonly AgentSource[] = [claudeSource, codexSource, geminiDocumentSource, geminiLogSource, clineSource, rooCodeSource, kiloCodeSource, opencodeStorageSource, opencodeDbSource, copilotWorkspaceSource, copilotEmptyWindowSource];

/**
 * 64 MiB: below it a second thread's start (~30 ms) and the hand-over of records cost more than
 * the read it saves (about 300 MB/s per core here).
 */
export const PARALLEL_MIN_BYTES = 64 * 1024 * 1024;

function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/**
 * Which of two files owns a request both contain with equal totals. Codex: the rollout that started
 * first (a fork replays its parent's events; the parent owns them). Claude Code: the path that sorts
 * first, as ccusage does with resumed transcripts, so per-session totals agree with it.
 */
export function preferFile(a: FileState | undefined, b: FileState | undefined): number {
  if (!a || !b) return a ? -1 : b ? 1 : 0;
  const started = (f: FileState) => (f.parserState as { startedAt?: number } | undefined)?.startedAt ?? Infinity;
  if (a.agent === 'codex' && b.agent === 'codex' && started(a) !== started(b)) return started(a) < started(b) ? -1 : 1;
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

export interface EngineOptions {
  readonly env: SourceEnv;
  readonly pricer: Pricer;
  /** Where the persisted index lives; without it every start is a cold scan. */
  readonly stateDir?: string;
  readonly agents?: readonly AgentId[];
  readonly wantActivity?: (file: string, agent: AgentId, mtimeMs: number) => boolean;
  readonly onActivity?: (event: ActivityEvent) => void;
  /**
   * A module that runs `runScanWorker` when loaded in a worker thread: with it, a cold scan of
   * more than PARALLEL_MIN_BYTES reads about half the bytes on a second core. Off by default (the
   * CLI enables it with AGENT_METER_WORKER=1): on 2 cores each thread's JIT warm-up and the
   * hand-over of records outweighed the gain; the editor scans on one thread, yielding.
   */
  readonly workerScript?: string;
  /** Fresh bytes above which the worker is used; PARALLEL_MIN_BYTES by default (a seam for tests). */
  readonly parallelMinBytes?: number;
  /** Longest line read (a seam for tests); see MAX_LINE_BYTES. */
  readonly maxLineBytes?: number;
  /** Receives one line per notable event (index rebuilt, folders unreadable). */
  readonly log?: (message: string) => void;
}

/**
 * The accounting engine: sources → scanner → ledger, with a persisted index. The CLI and the
 * extension both drive it; neither knows how logs are read.
 */
export class Engine {
  readonly ledger: Ledger;
  readonly scanner: Scanner;
  private readonly indexFile: string | undefined;

  constructor(private readonly options: EngineOptions) {
    const sources = ALL_SOURCES.filter((s) => !options.agents || options.agents.includes(s.agent));
    this.ledger = new Ledger(options.pricer, (a, b) => preferFile(this.scanner.stateOf(a), this.scanner.stateOf(b)));
    this.scanner = new Scanner({ sources, env: options.env, ledger: this.ledger, wantActivity: options.wantActivity, onActivity: options.onActivity, maxLineBytes: options.maxLineBytes });
    // One index per set of roots, so two configurations sharing a state folder never mix.
    const roots = this.scanner.roots().map((r) => `${r.agent}=${r.root}`).join('\n');
    this.indexFile = options.stateDir ? path.join(options.stateDir, `index-${createHash('sha1').update(roots).digest('hex').slice(0, 12)}.bin`) : undefined;
  }

  /** Loads the index (if any), reads what changed since, and saves the index. */
  start(): ScanStats & { indexLoaded: boolean } {
    const indexLoaded = this.loadIndex();
    const stats = this.options.workerScript ? this.scanParallel(this.options.workerScript) : this.scanner.scanAll();
    if (stats.filesRead > 0 || stats.filesRemoved > 0 || !indexLoaded) this.save();
    return { ...stats, indexLoaded };
  }

  /** start() for an editor: the scan yields to the event loop between slices. */
  async startAsync(): Promise<ScanStats & { indexLoaded: boolean }> {
    const indexLoaded = this.loadIndex();
    const stats = await this.scanner.scanAllAsync();
    if (stats.filesRead > 0 || stats.filesRemoved > 0 || !indexLoaded) this.save();
    return { ...stats, indexLoaded };
  }

  /**
   * Files the scanner has never seen are read whole; when they add up to more than
   * PARALLEL_MIN_BYTES, a worker thread takes about half of those bytes (largest files first, each
   * to the lighter side) while this thread reads the rest. Results are the same as a sequential
   * scan: the ledger's ties do not depend on reading order.
   */
  private scanParallel(script: string): ScanStats {
    const found = this.scanner.discover();
    const fresh = found.filter((f) => !this.scanner.knows(f.file)).map((f) => ({ ...f, size: sizeOf(f.file) }));
    const total = fresh.reduce((n, f) => n + f.size, 0);
    if (total < (this.options.parallelMinBytes ?? PARALLEL_MIN_BYTES) || fresh.length < 2) return this.scanner.scanAll(found);
    let mine = 0;
    let theirs = 0;
    const delegated: typeof fresh = [];
    for (const f of [...fresh].sort((a, b) => b.size - a.size)) {
      if (theirs + f.size <= mine) {
        delegated.push(f);
        theirs += f.size;
      } else {
        mine += f.size;
      }
    }
    const worker = startScanWorker(script, {
      files: delegated.map((f) => ({ path: f.file, agent: f.source.agent })),
      env: this.options.env,
      maxLineBytes: this.options.maxLineBytes,
    });
    const stats = this.scanner.scanAll(found, new Set(delegated.map((f) => f.file)));
    const result = worker.wait();
    this.scanner.adopt(result.files);
    stats.filesRead += result.files.length;
    stats.filesInWorker = result.files.length;
    stats.bytesRead += result.bytesRead;
    stats.records += result.records;
    stats.skips.push(...result.skips);
    return stats;
  }

  private loadIndex(): boolean {
    let indexLoaded = false;
    if (this.indexFile) {
      try {
        indexLoaded = loadIndex(this.indexFile, this.ledger, (files) => this.scanner.restore(files)) !== undefined;
      } catch (error) {
        if (!(error instanceof IndexError)) throw error;
        this.options.log?.(`Rebuilding the usage index (${error.message}): ${this.indexFile}`);
      }
    }
    return indexLoaded;
  }

  /** Reads the given changed files, or every file when none are given. */
  refresh(paths?: Iterable<string>): ScanStats {
    return paths ? this.scanner.scanPaths(paths) : this.scanner.scanAll();
  }

  /** Persists the index; failures are logged, never fatal (the index is only a cache). */
  save(): void {
    if (!this.indexFile) return;
    try {
      saveIndex(this.indexFile, this.scanner.fileStates(), this.ledger);
    } catch (error) {
      this.options.log?.(`Could not save the usage index ${this.indexFile}: ${(error as Error).message}`);
    }
  }
}
