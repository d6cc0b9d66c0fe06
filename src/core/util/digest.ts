import type * as Crypto from 'node:crypto';

/**
 * Hex digests, with node:crypto loaded on first use: loading it costs about 5 ms, a twentieth of a
 * CLI warm start that never hashes anything (tool-call hashes are for the editor's flags).
 */
let crypto: typeof Crypto | undefined;

export function hexDigest(algorithm: 'sha1' | 'sha256', text: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  crypto ??= require('node:crypto') as typeof Crypto;
  return crypto.createHash(algorithm).update(text).digest('hex');
}
