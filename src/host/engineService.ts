import path = require('node:path');
import os = require('node:os');
import * as vscode from 'vscode';
import { ActivityLog } from '../core/activity/activityLog';
import { Engine } from '../core/engine';
import { createPricer } from '../core/pricing/pricer';
import { skipReport, type ScanStats } from '../core/scan/scanner';
import { geminiProjectHashMatches } from '../core/sources/gemini/geminiSource';
import type { ActivityEvent } from '../core/sources/types';
import type { Settings } from './config';
import { whenFolderExists } from './folderWaiter';
import { Disposable, DisposableStore, MutableDisposable, toDisposable, type IDisposable } from './lifecycle';
import { watchTree } from './treeWatcher';

/**
 * 25 ms: long enough to fold a streamed message's 2-5 lines (written within ~10 ms of each other)
 * into one refresh, short enough to keep the meter well inside its 250 ms budget.
 */
const DEBOUNCE_MS = 25;
/** 10 s: an agent writes every few seconds; saving each time would rewrite the index each time. */
const SAVE_DELAY_MS = 10_000;
/** Files touched in the last 12 hours get activity (tool calls, errors) parsed: live sessions. */
const ACTIVITY_WINDOW_MS = 12 * 60 * 60 * 1000;

export interface EngineChange {
  /** Session keys (`agent:sessionId`) whose usage changed. */
  readonly sessions: readonly string[];
  /** Activity that arrived with this change. */
  readonly activity: readonly ActivityEvent[];
  /** When the first file event of this batch arrived (for latency measurements). */
  readonly firstEventAt: number;
}

/**
 * Owns the engine inside the editor: starts it over the configured roots, watches the log folders
 * and reads only what changed, then tells listeners which sessions moved.
 */
export class EngineService extends Disposable {
  private engineRef: Engine;
  readonly activity = new ActivityLog();
  private readonly watchers = this._register(new MutableDisposable<DisposableStore>());
  private readonly _onDidChange = this._register(new vscode.EventEmitter<EngineChange>());
  /** Fires after new log lines were read. */
  readonly onDidChange = this._onDidChange.event;
  private pending = new Set<string>();
  private pendingSince = 0;
  private timer: NodeJS.Timeout | undefined;
  private fresh: ActivityEvent[] = [];
  private started = false;
  private saveTimer: NodeJS.Timeout | undefined;
  private settingUpWatchers = false;

  constructor(
    private readonly storageDir: string,
    private settings: Settings,
    private readonly log: vscode.LogOutputChannel,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    super();
    this.engineRef = this.createEngine();
    this._register(toDisposable(() => this.timer && clearTimeout(this.timer)));
    this._register(
      toDisposable(() => {
        if (!this.saveTimer) return;
        clearTimeout(this.saveTimer);
        this.saveTimer = undefined;
        this.engineRef.save();
      }),
    );
  }

  get engine(): Engine {
    return this.engineRef;
  }

  async start(): Promise<ScanStats> {
    const stats = await this.engineRef.startAsync();
    this.started = true;
    this.reportScan('Initial scan', stats, stats.indexLoaded);
    // A first read of all history leaves an object per request; a restart would hold numbers.
    if (!stats.indexLoaded && stats.records > 0 && this.engineRef.compact()) this.log.info(`Packed the ${stats.records} usage records of the initial scan`);
    this.watch();
    this.emit(performance.now());
    return stats;
  }

  /** Settings changed: rebuild the engine if roots or prices moved, then rescan. */
  async reconfigure(settings: Settings): Promise<void> {
    this.settings = settings;
    this.engineRef = this.createEngine();
    if (this.started) await this.start();
  }

  /** Reads everything again (the user asked, or a watcher may have missed events). */
  rescan(): ScanStats {
    const stats = this.engineRef.refresh();
    this.reportScan('Rescan', stats, true);
    this.engineRef.save();
    this.emit(performance.now());
    return stats;
  }

  roots(): string[] {
    return this.engineRef.scanner.roots().map((r) => r.root);
  }

  private createEngine(): Engine {
    const vars: Record<string, string | undefined> = { ...this.env };
    if (this.settings.claudeConfigDirs.length) vars.CLAUDE_CONFIG_DIR = this.settings.claudeConfigDirs.join(',');
    if (this.settings.codexHome) vars.CODEX_HOME = this.settings.codexHome;
    return new Engine({
      env: { home: this.env.HOME ?? this.env.USERPROFILE ?? os.homedir(), vars },
      pricer: createPricer(this.settings.priceOverrides),
      stateDir: this.storageDir,
      wantActivity: (_file, _agent, mtimeMs) => Date.now() - mtimeMs < ACTIVITY_WINDOW_MS,
      onActivity: (event) => {
        this.activity.add(event);
        this.fresh.push(event);
      },
      log: (message) => this.log.info(message),
    });
  }

  private watch(): void {
    const store = new DisposableStore();
    this.settingUpWatchers = true;
    for (const root of this.roots()) {
      store.add(
        whenFolderExists(root, () => {
          store.add(this.watchRoot(root));
          this.log.info(`Watching ${root}`);
          // Files written before the watcher was ready (the folder just appeared).
          this.rootAppeared(root);
        }),
      );
    }
    this.settingUpWatchers = false;
    this.watchers.value = store;
  }

  /**
   * Node's fs.watch (inotify on Linux, FSEvents on macOS, ReadDirectoryChangesW on Windows) reports
   * an append within milliseconds; VS Code's watcher for folders outside the workspace batches
   * events and took seconds to start on a folder that had just appeared. Only the folders the
   * sources can use are watched (see watchTree). If the platform refuses, fall back to VS Code's
   * watcher.
   */
  private watchRoot(root: string): IDisposable {
    try {
      // Every change is offered to the scanner, which keeps only its sources' log files
      // (JSONL transcripts, and whole JSON documents such as Cline's ui_messages.json).
      return watchTree(root, {
        descend: this.engineRef.scanner.descendFor(root),
        onFile: (file) => {
          if (/\.jsonl?$/.test(file)) this.schedule(file);
        },
        onError: (error) => this.log.warn(`Watching ${root} failed (${error.message}); use "Agent Meter: Rescan Agent Logs" to refresh.`),
      });
    } catch (error) {
      this.log.info(`fs.watch unavailable for ${root} (${(error as Error).message}); using the editor's watcher`);
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(root), '**/*.{jsonl,json}'));
      const subscriptions = [watcher, watcher.onDidCreate((u) => this.schedule(u.fsPath)), watcher.onDidChange((u) => this.schedule(u.fsPath)), watcher.onDidDelete((u) => this.schedule(u.fsPath))];
      return new vscode.Disposable(() => subscriptions.forEach((d) => d.dispose()));
    }
  }

  private rootAppeared(root: string): void {
    if (this.settingUpWatchers) return; // existed at start: the initial scan read it
    const fresh = this.engineRef.refresh();
    this.log.info(`${root} appeared: read ${fresh.filesRead} files`);
    if (fresh.filesRead > 0) this.saveSoon();
    this.emit(performance.now());
  }

  private schedule(file: string): void {
    if (this.pending.size === 0) this.pendingSince = performance.now();
    this.pending.add(path.normalize(file));
    if (this.timer) return;
    this.timer = setTimeout(() => this.flush(), DEBOUNCE_MS);
  }

  private flush(): void {
    this.timer = undefined;
    const files = this.pending;
    const since = this.pendingSince;
    this.pending = new Set();
    try {
      const stats = this.engineRef.refresh(files);
      for (const line of skipReport(stats, 5)) this.log.warn(line);
      if (stats.filesRead > 0 || stats.filesRemoved > 0) this.saveSoon();
    } catch (error) {
      this.log.error(`Reading ${[...files].join(', ')} failed: ${(error as Error).stack ?? error}`);
    }
    this.emit(since);
  }

  /**
   * Saves the index at most once per SAVE_DELAY_MS while agents write, and on close: the save
   * rewrites the whole index (tens of ms on gigabytes of history) and must stay off the path from a
   * log line to the meter. A save lost to a crash only costs re-reading those bytes next start.
   */
  private saveSoon(): void {
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      this.engineRef.save();
    }, SAVE_DELAY_MS);
  }

  /** The workspace folders, for sessions that name their project only by a hash of its path. */
  setFolders(folders: () => string[]): void {
    this.folders = folders;
  }

  private folders: () => string[] = () => [];

  /**
   * Older Gemini CLI chats record only a hash of the project path: when it is the hash of one of
   * this window's folders, that folder is the session's working folder.
   */
  private resolveHashedFolders(): void {
    const folders = this.folders();
    if (folders.length === 0) return;
    const ledger = this.engineRef.ledger;
    for (const f of this.engineRef.scanner.fileStates()) {
      if (f.agent !== 'gemini-cli') continue;
      const ps = f.parserState as { sessionId?: string; cwd?: string; projectHash?: string } | undefined;
      if (!ps?.sessionId || ps.cwd || !ps.projectHash || ledger.sessionCwd('gemini-cli', ps.sessionId)) continue;
      const folder = folders.find((dir) => geminiProjectHashMatches(ps.projectHash!, dir));
      if (folder) ledger.setSessionCwd('gemini-cli', ps.sessionId, folder);
    }
  }

  private emit(firstEventAt: number): void {
    this.resolveHashedFolders();
    const sessions = this.engineRef.ledger.drainChanged();
    const activity = this.fresh;
    this.fresh = [];
    if (sessions.length || activity.length || firstEventAt) this._onDidChange.fire({ sessions, activity, firstEventAt });
  }

  private reportScan(what: string, stats: ScanStats, indexLoaded: boolean): void {
    this.log.info(
      `${what}: ${stats.filesSeen} log files (${stats.filesRead} read, ${(stats.bytesRead / 1048576).toFixed(1)} MiB) in ${stats.elapsedMs.toFixed(0)} ms, ${stats.records} usage records${indexLoaded ? ' (index reused)' : ''}; ${this.engineRef.ledger.summaries().length} sessions`,
    );
    for (const line of skipReport(stats, 50)) this.log.warn(line);
  }
}
