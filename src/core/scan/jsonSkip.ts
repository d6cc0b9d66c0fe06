/**
 * Byte-level JSON helpers for the hot path: find where a value ends without decoding or parsing
 * it, so the bulk of a line (message content, tool output) is never turned into objects.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Index just past the closing quote of the string whose opening quote is at `open`, or -1. */
export function stringEnd(buf: Uint8Array & { indexOf(value: number, from: number): number }, open: number, end: number): number {
  let at = open + 1;
  for (;;) {
    const q = buf.indexOf(QUOTE, at);
    if (q < 0 || q >= end) return -1;
    let slashes = 0;
    while (buf[q - 1 - slashes] === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return q + 1;
    at = q + 1;
  }
}

/**
 * Index just past the array or object that opens at `open` (`[` or `{`), or -1 when it does not
 * close before `end`. Strings are jumped over with indexOf, so long text costs almost nothing.
 */
export function containerEnd(buf: Buffer, open: number, end: number): number {
  let depth = 0;
  let at = open;
  while (at < end) {
    const c = buf[at];
    if (c === QUOTE) {
      at = stringEnd(buf, at, end);
      if (at < 0) return -1;
      continue;
    }
    if (c === 0x5b || c === 0x7b) depth++;
    else if (c === 0x5d || c === 0x7d) {
      depth--;
      if (depth === 0) return at + 1;
    }
    at++;
  }
  return -1;
}
