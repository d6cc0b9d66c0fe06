import fs = require('node:fs');
import path = require('node:path');
import { toDisposable, type IDisposable } from './lifecycle';

export interface TreeWatchOptions {
  /** Whether a folder below the root (its relative path) can hold logs; pruned folders are not watched. */
  readonly descend: (relativeFolder: string) => boolean;
  /** A file below the root was created, written, renamed or deleted (absolute path). */
  readonly onFile: (file: string) => void;
  readonly onError: (error: Error) => void;
  /** Node's recursive watch where it is native (macOS, Windows); per folder elsewhere. A seam for tests. */
  readonly recursive?: boolean;
}

/**
 * Watches the log folders below `root` and reports changed files.
 *
 * On macOS and Windows Node's recursive fs.watch is the platform's own (FSEvents,
 * ReadDirectoryChangesW) and costs one handle. On Linux it is emulated by an inotify watch on every
 * file and folder below the root: an OpenCode data folder (git snapshots) or an editor's
 * workspaceStorage (every extension's data) holds tens of thousands, past the default limit of
 * 8192 watches per user that the editor itself needs. There each folder the sources can use gets
 * its own watch, and a new such folder is watched, and listed, as it appears.
 *
 * Throws when the root cannot be watched.
 */
export function watchTree(root: string, options: TreeWatchOptions): IDisposable {
  const recursive = options.recursive ?? (process.platform === 'darwin' || process.platform === 'win32');
  if (recursive) {
    const watcher = fs.watch(root, { recursive: true, persistent: false }, (_event, name) => {
      if (name) options.onFile(path.join(root, name.toString()));
    });
    watcher.on('error', options.onError);
    return toDisposable(() => watcher.close());
  }
  const watchers = new Map<string, fs.FSWatcher>();
  let closed = false;

  /** Watches a folder, then its usable subfolders; files already there are reported when `report`. */
  const add = (relative: string, report: boolean): void => {
    if (closed || watchers.has(relative)) return;
    const folder = relative ? path.join(root, relative) : root;
    let watcher: fs.FSWatcher;
    try {
      watcher = fs.watch(folder, { persistent: false }, (_event, name) => name && changed(relative, name.toString()));
    } catch (error) {
      // The root itself: the caller falls back to another watcher.
      if (!relative) throw error;
      // Gone already (a removed session folder), or unreadable: a rescan reads what it can.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') options.onError(error as Error);
      return;
    }
    watcher.on('error', (error) => {
      forget(relative);
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && (error as NodeJS.ErrnoException).code !== 'EPERM') options.onError(error);
    });
    watchers.set(relative, watcher);
    // Listed after the watch is set, so nothing written in between is missed.
    let entries: fs.Dirent[] = [];
    try {
      entries = fs.readdirSync(folder, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const child = relative ? path.join(relative, entry.name) : entry.name;
      if (entry.isDirectory()) {
        if (options.descend(child)) add(child, report);
      } else if (report) {
        options.onFile(path.join(root, child));
      }
    }
  };

  const changed = (relative: string, name: string): void => {
    const child = relative ? path.join(relative, name) : name;
    const full = path.join(root, child);
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(full, { throwIfNoEntry: false });
    } catch {
      // Unreadable for now (a callback must not throw): offered as it is; the scanner reports it.
      options.onFile(full);
      return;
    }
    if (stat?.isDirectory()) {
      // A new folder (a session's subagents, a day of Codex rollouts): watch it and report what
      // it already holds, written before its watch was set.
      if (options.descend(child)) add(child, true);
      return;
    }
    if (!stat) forget(child);
    options.onFile(full);
  };

  /** Stops watching a folder that went away, and everything below it. */
  const forget = (relative: string): void => {
    for (const [watched, watcher] of watchers) {
      if (watched === relative || watched.startsWith(relative + path.sep)) {
        watcher.close();
        watchers.delete(watched);
      }
    }
  };

  add('', false);
  return toDisposable(() => {
    closed = true;
    for (const watcher of watchers.values()) watcher.close();
    watchers.clear();
  });
}
