import fs = require('node:fs');
import path = require('node:path');
import { DAY_MS } from './day';

/**
 * The state folder's caches (usage indexes, compiled-code caches) are kept while used: one of
 * another configuration (`--agent codex`, an old CLAUDE_CONFIG_DIR) or of an older build that has
 * gone unused this long is removed when a new one is written. A cache is only an optimisation: the
 * worst a removal costs is one cold start, so a folder that is never cleared stays bounded.
 */
export const STALE_DAYS = 30;
export const STALE_MS = STALE_DAYS * DAY_MS;
/** What an interrupted write leaves: `<name>.<pid>[.<random>].tmp` (writeFileAtomic, the CLI's loader). */
const TEMP = /\.\d+(?:\.[0-9a-z]+)?\.tmp$/;

/**
 * Notes that a cache was used now: its modification time is when it was last written or used,
 * moved at most once a day (a warm start pays one stat). Failures are ignored: the time is a hint.
 */
export function markUsed(file: string, now = Date.now()): void {
  try {
    if (now - fs.statSync(file).mtimeMs < DAY_MS) return;
    const at = new Date(now);
    fs.utimesSync(file, at, at);
  } catch {
    // A cache whose time cannot be moved may be removed a little early: it is rebuilt.
  }
}

/**
 * Removes from `dir` the files whose names `pattern` matches, other than `keep`, that have been
 * unused for STALE_MS, and the temporary files such writes left behind more than a day ago.
 * Nothing else in the folder is touched (the editor keeps the task store beside the index).
 * Returns the names removed; failures (a file another process removed first) are passed over.
 */
export function pruneStale(dir: string, pattern: RegExp, keep: string, now = Date.now()): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const temp = TEMP.test(name);
    if (name === keep || !pattern.test(temp ? name.replace(TEMP, '') : name)) continue;
    const file = path.join(dir, name);
    try {
      const stat = fs.lstatSync(file);
      if (!stat.isFile() || now - stat.mtimeMs < (temp ? DAY_MS : STALE_MS)) continue;
      fs.rmSync(file);
      removed.push(name);
    } catch {
      // Gone already, or not ours to remove: the next write looks again.
    }
  }
  return removed;
}
