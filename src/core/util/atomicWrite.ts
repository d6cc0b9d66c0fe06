import fs = require('node:fs');
import path = require('node:path');

/**
 * Writes a file so readers see the old or the new content, never a mix: a temporary file in the
 * same folder, flushed, then renamed over the target (rename is atomic within one file system).
 */
export function writeFileAtomic(file: string, data: string | Uint8Array | readonly Uint8Array[], options: { durable?: boolean } = {}): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  const fd = fs.openSync(temp, 'w', 0o600);
  try {
    writeAll(fd, typeof data === 'string' ? [Buffer.from(data, 'utf8')] : data instanceof Uint8Array ? [data] : data);
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

/**
 * Writes the pieces in order: one writev call when the system takes them all, as it does for a
 * file; what a call leaves unwritten (a short write, or more pieces than IOV_MAX) goes in the next.
 */
function writeAll(fd: number, pieces: readonly Uint8Array[]): void {
  let rest = pieces.filter((p) => p.byteLength > 0);
  while (rest.length > 0) {
    // Linux takes at most 1024 pieces per call.
    const written = fs.writevSync(fd, rest.slice(0, 1024));
    if (written <= 0) throw new Error('a write made no progress');
    let left = written;
    let done = 0;
    while (done < rest.length && left >= rest[done].byteLength) left -= rest[done++].byteLength;
    rest = rest.slice(done);
    if (left > 0) rest[0] = rest[0].subarray(left);
  }
}
