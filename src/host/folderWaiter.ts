import fs = require('node:fs');
import path = require('node:path');
import { toDisposable, type IDisposable } from './lifecycle';

/**
 * Calls `onExists` once `folder` exists, watching (not polling) the nearest existing ancestor for
 * the next missing path component. A first agent run creates `~/.claude/projects` after the editor
 * started; a recursive watcher on a missing folder would not see it for seconds.
 */
export function whenFolderExists(folder: string, onExists: () => void): IDisposable {
  let watcher: fs.FSWatcher | undefined;
  let disposed = false;
  const check = () => {
    watcher?.close();
    watcher = undefined;
    if (disposed) return;
    if (isFolder(folder)) {
      onExists();
      return;
    }
    let ancestor = path.dirname(folder);
    while (!isFolder(ancestor) && path.dirname(ancestor) !== ancestor) ancestor = path.dirname(ancestor);
    try {
      watcher = fs.watch(ancestor, { persistent: false }, () => check());
      watcher.on('error', () => check());
    } catch {
      return; // an unreadable ancestor: nothing to watch; a rescan finds the folder later
    }
    // The folder may have appeared between the test and the watch.
    if (isFolder(folder)) check();
  };
  check();
  return toDisposable(() => {
    disposed = true;
    watcher?.close();
  });
}

function isFolder(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}
