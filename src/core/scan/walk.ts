import fs = require('node:fs');
import path = require('node:path');

/** A file found below a root, with what `pick` said of it. */
export interface Found<T> {
  readonly file: string;
  readonly match: T;
}

/**
 * Lists the files below `root` for which `pick(relativePath)` gives something, sorted by path. A
 * missing root is empty; a folder that cannot be read is reported through `onError` and skipped.
 * `descend(relativeFolder)` prunes folders that cannot hold a wanted file (an agent's data folder
 * also holds caches and snapshots of thousands of files). Symbolic links are not followed (a loop
 * would never end, and the agents do not write links).
 */
export function walkFiles<T>(
  root: string,
  pick: (relativePath: string) => T | undefined,
  onError: (folder: string, error: NodeJS.ErrnoException) => void,
  descend: (relativeFolder: string) => boolean = () => true,
): Array<Found<T>> {
  const files: string[] = [];
  const matches = new Map<string, T>();
  // Joined by hand below: path.join normalises every path again, a third of a warm start's walk.
  const normal = path.normalize(root);
  const base = normal.length > path.parse(normal).root.length ? normal.replace(/[\\/]+$/, '') : normal;
  const prefix = base.endsWith(path.sep) ? base : base + path.sep;
  // Most roots do not exist (every editor's folder is a candidate): a stat says so without the
  // cost of an exception from readdir.
  let exists = true;
  try {
    exists = fs.statSync(base, { throwIfNoEntry: false }) !== undefined;
  } catch {
    // Unreadable on the way there: readdir below reports it.
  }
  if (!exists) return [];
  const pending = [''];
  while (pending.length > 0) {
    const relative = pending.pop()!;
    const folder = relative ? prefix + relative : base;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(folder, { withFileTypes: true });
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      if (e.code !== 'ENOENT' || relative) onError(folder, e);
      continue;
    }
    for (const entry of entries) {
      const child = relative ? `${relative}${path.sep}${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (descend(child)) pending.push(child);
      } else if (entry.isFile()) {
        const match = pick(child);
        if (match === undefined) continue;
        const file = prefix + child;
        files.push(file);
        matches.set(file, match);
      }
    }
  }
  // Sorted as strings, natively: a comparator over the entries costs several times more.
  return files.sort().map((file) => ({ file, match: matches.get(file)! }));
}
