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

/** Writes the pieces in order (one writev call when the system takes them all, as it does for a file). */
function writeAll(fd: number, pieces: readonly Uint8Array[]): void {
  let rest = pieces.filter((p) => p.byteLength > 0);
  while (rest.length > 0) {
    // writev takes at most IOV_MAX (1024 on Linux) pieces.
    let written = fs.writevSync(fd, rest.slice(0, 1024) as NodeJS.ArrayBufferView[]);
    let i = 0;
    while (i < rest.length && written >= rest[i].byteLength) written -= rest[i++].byteLength;
    rest = rest.slice(i);
    if (written > 0) rest[0] = rest[0].subarray(written);
  }
}
