import path = require('node:path');
import { keyHash, Ledger } from './ledger/ledger';
import type { Pricer } from './pricing/pricer';
import { counted } from './report/format';
import { decodeIndex, encodeIndex, IndexError, loadIndex, saveIndex } from './scan/indexStore';
import { Scanner, type FileState, type ScanStats } from './scan/scanner';
import { claudeSource } from './sources/claude/claudeSource';
import { clineSdkSource } from './sources/cline/clineSdkSource';
import { clineSource, kiloCodeSource, rooCodeSource } from './sources/cline/clineSource';
import { codexSource } from './sources/codex/codexSource';
import { copilotEmptyWindowSource, copilotWorkspaceSource } from './sources/copilot/copilotSource';
import { geminiDocumentSource, geminiLogSource } from './sources/gemini/geminiSource';
import { opencodeDbSource, opencodeStorageSource } from './sources/opencode/opencodeSource';
import type { AgentSource, SourceEnv } from './sources/source';
import type { ActivityEvent, AgentId } from './sources/types';
import { markUsed, pruneStale, STALE_DAYS } from './util/stateFiles';

export const ALL_SOURCES: readonly AgentSource[] = [claudeSource, codexSource, geminiDocumentSource, geminiLogSource, clineSource, clineSdkSource, rooCodeSource, kiloCodeSource, opencodeStorageSource, opencodeDbSource, copilotWorkspaceSource, copilotEmptyWindowSource];

/**
 * A start that read less than this since the index was written leaves the index as it is: saving
 * rewrites all of it (megabytes for months of history), while reading these bytes again next time
 * costs a few milliseconds. A statusline run every few seconds then writes nothing.
 */
export const SAVE_MIN_BYTES = 8 * 1024 * 1024;

/** The index files' names, `index-<hash of the roots>.bin`: one per configuration. */
const INDEX_NAME = /^index-[0-9a-f]{13}\.bin$/;

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
  /** Bytes a start must read before it rewrites the index; SAVE_MIN_BYTES by default (a seam for tests). */
  readonly saveMinBytes?: number;
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
    this.indexFile = options.stateDir ? path.join(options.stateDir, `index-${keyHash(roots).toString(16).padStart(13, '0')}.bin`) : undefined;
  }

  /** Loads the index (if any), reads what changed since, and saves the index. */
  start(): ScanStats & { indexLoaded: boolean } {
    const indexLoaded = this.loadIndex();
    const stats = this.scanner.scanAll();
    if (this.worthSaving(stats, indexLoaded)) this.save();
    return { ...stats, indexLoaded };
  }

  /** start() for an editor: the scan yields to the event loop between slices. */
  async startAsync(): Promise<ScanStats & { indexLoaded: boolean }> {
    const indexLoaded = this.loadIndex();
    const stats = await this.scanner.scanAllAsync();
    if (this.worthSaving(stats, indexLoaded)) this.save();
    return { ...stats, indexLoaded };
  }

  /**
   * Whether a start should write the index: when there was none, when files came or went (their
   * list is what a restart trusts), or when it read SAVE_MIN_BYTES or more since the index was
   * written; a start that read a little leaves it, and the next one reads those bytes again.
   */
  private worthSaving(stats: ScanStats, indexLoaded: boolean): boolean {
    if (!indexLoaded) return true;
    return stats.filesRemoved > 0 || stats.filesAdded > 0 || stats.bytesRead >= (this.options.saveMinBytes ?? SAVE_MIN_BYTES);
  }

  private loadIndex(): boolean {
    let indexLoaded = false;
    if (this.indexFile) {
      try {
        indexLoaded = loadIndex(this.indexFile, this.ledger, (files) => this.scanner.restore(files)) !== undefined;
        if (indexLoaded) markUsed(this.indexFile);
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

  /**
   * Holds every file's records as packed numbers, as a restart from the index would (its totals
   * per file, records unpacked again when a file changes or they are asked for). After a cold
   * start the ledger holds an object per request, ~400 bytes each: an editor that first read
   * months of logs would keep them until it restarts. Returns whether it compacted (it needs a
   * state folder: the packed form is the index's).
   */
  compact(): boolean {
    if (!this.indexFile) return false;
    const data = encodeIndex(this.scanner.fileStates(), this.ledger);
    // Read back once aside first: a failure (a bug) then leaves the ledger as it was.
    try {
      decodeIndex(data, new Ledger(this.options.pricer));
    } catch (error) {
      this.options.log?.(`Could not pack the usage records: ${(error as Error).message}`);
      return false;
    }
    this.ledger.reset();
    decodeIndex(data, this.ledger);
    this.scanner.noteSessions();
    return true;
  }

  /** Persists the index; failures are logged, never fatal (the index is only a cache). */
  save(): void {
    if (!this.indexFile) return;
    try {
      saveIndex(this.indexFile, this.scanner.fileStates(), this.ledger);
    } catch (error) {
      this.options.log?.(`Could not save the usage index ${this.indexFile}: ${(error as Error).message}`);
      return;
    }
    const dir = path.dirname(this.indexFile);
    const removed = pruneStale(dir, INDEX_NAME, path.basename(this.indexFile));
    if (removed.length > 0) this.options.log?.(`Removed ${counted(removed.length, 'usage index', 'usage indexes')} unused for ${STALE_DAYS} days from ${dir}: ${removed.join(', ')}`);
  }
}
