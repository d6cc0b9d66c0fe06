import fs = require('node:fs');
import path = require('node:path');

/**
 * Lists the files below `root` for which `accept(relativePath)` holds. A missing root is empty; a
 * folder that cannot be read is reported through `onError` and skipped. Symbolic links are not
 * followed (a loop would never end, and the agents do not write links).
 */
export function walkFiles(root: string, accept: (relativePath: string) => boolean, onError: (folder: string, error: NodeJS.ErrnoException) => void): string[] {
  const out: string[] = [];
  const pending = [''];
  // Joined by hand below: path.join normalises every path again, a third of a warm start's walk.
  const normal = path.normalize(root);
  const base = normal.length > path.parse(normal).root.length ? normal.replace(/[\\/]+$/, '') : normal;
  const prefix = base.endsWith(path.sep) ? base : base + path.sep;
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
      if (entry.isDirectory()) pending.push(child);
      else if (entry.isFile() && accept(child)) out.push(prefix + child);
    }
  }
  return out.sort();
}
