import fs = require('node:fs');
import path = require('node:path');

/**
 * Writes a file so readers see the old or the new content, never a mix: a temporary file in the
 * same folder, flushed, then renamed over the target (rename is atomic within one file system).
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, options: { durable?: boolean } = {}): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  const fd = fs.openSync(temp, 'w', 0o600);
  try {
    fs.writeSync(fd, data as Uint8Array);
    // User data is flushed before the rename; a cache (durable: false) need not be: a torn cache
    // file fails its own checks and is rebuilt.
    if (options.durable !== false) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
}
