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

const COLON = 0x3a;
const COMMA = 0x2c;

/**
 * Where the value of the top-level member `key` (its name's bytes, unquoted) starts, when the
 * object opening at `start` reaches that member through scalar members only: a line's leading
 * members, read without decoding the bulk after them. -1 when a nested object or array, white
 * space, an escaped name or the end of the line comes first: then only a parse can tell.
 */
export function leadingMember(buf: Uint8Array, start: number, end: number, key: Uint8Array): number {
  if (buf[start] !== 0x7b) return -1;
  let at = start + 1;
  for (;;) {
    if (at >= end || buf[at] !== QUOTE) return -1;
    const name = at + 1;
    at = name;
    while (at < end && buf[at] !== QUOTE) {
      if (buf[at] === BACKSLASH) return -1;
      at++;
    }
    if (at + 1 >= end || buf[at + 1] !== COLON) return -1;
    const value = at + 2;
    if (at - name === key.length && bytesAt(buf, name, key)) return value;
    const first = buf[value];
    if (first === QUOTE) {
      at = value + 1;
      while (at < end && buf[at] !== QUOTE) at += buf[at] === BACKSLASH ? 2 : 1;
      at++;
    } else if (first === 0x7b || first === 0x5b) {
      return -1;
    } else {
      at = value;
      while (at < end && buf[at] !== COMMA && buf[at] !== 0x7d) at++;
    }
    if (at >= end || buf[at] !== COMMA) return -1;
    at++;
  }
}

/**
 * Whether the JSON value at `at` is exactly the string `text` (its bytes, unquoted); undefined
 * when it is a string with an escape, which only a parse can compare.
 */
export function isPlainString(buf: Uint8Array, at: number, end: number, text: Uint8Array): boolean | undefined {
  if (buf[at] !== QUOTE) return false;
  let close = at + 1;
  while (close < end && buf[close] !== QUOTE) {
    if (buf[close] === BACKSLASH) return undefined;
    close++;
  }
  return close < end && close - at - 1 === text.length && bytesAt(buf, at + 1, text);
}

/** Whether `bytes` lie in `buf` from `at`. */
export function bytesAt(buf: Uint8Array, at: number, bytes: Uint8Array): boolean {
  if (at < 0 || at + bytes.length > buf.length) return false;
  // A byte loop: these are a few bytes, and Buffer#compare's argument checks and native call cost
  // several times more (it was a tenth of a Codex scan, run 4 times per line).
  for (let i = 0; i < bytes.length; i++) if (buf[at + i] !== bytes[i]) return false;
  return true;
}
