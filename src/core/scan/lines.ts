/**
 * Line scanning over raw bytes. Logs are mostly tool output the meter never needs, so lines are
 * found with memchr-speed `Buffer.indexOf` and only lines that contain a wanted pattern are decoded
 * and parsed. Each pattern is searched once per buffer, not once per line.
 */

/**
 * The text of the UTF-8 bytes `buf[start, end)`: Buffer#toString without its argument checks and
 * encoding dispatch (Node's own utf8Slice, which toString calls), a tenth of decoding a short line.
 * Falls back to toString where a runtime has no utf8Slice.
 */
export const utf8Text: (buf: Buffer, start: number, end: number) => string =
  typeof (Buffer.prototype as { utf8Slice?: unknown }).utf8Slice === 'function'
    ? (buf, start, end) => (buf as Buffer & { utf8Slice(start: number, end: number): string }).utf8Slice(start, end)
    : (buf, start, end) => buf.toString('utf8', start, end);

const NL = 0x0a;
const CR = 0x0d;
const OPEN = 0x7b; // {
const CLOSE = 0x7d; // }

/** How a complete line looks before any decoding. */
const enum LineShape {
  Empty,
  /** Starts with `{` and ends with `}`: worth parsing when a pattern matches. */
  Object,
  /** Contains a NUL byte: binary garbage. */
  Binary,
  /** Anything else: truncated or not JSON. */
  Malformed,
}

/** Why scanJsonLines passes over a line. */
export type LineSkipReason = 'binary' | 'malformed-json' | 'not-an-object';

/** What scanJsonLines asks of a parser for each line. */
export interface JsonLineReader {
  /**
   * The text to parse of the line `buf[start, end)` (possibly trimmed of bulk), or undefined to
   * pass over it. `matches` is a bit set: bit i is set when patterns[i] occurs in the line; `base`
   * is the file offset of buf[0].
   */
  selectLine(buf: Buffer, start: number, end: number, matches: number, base: number): string | undefined;
  /** A line that parsed to an object, at file offset `offset`. */
  readRecord(record: Record<string, unknown>, offset: number): void;
  /** A line that is binary, truncated or not an object, at file offset `offset`. */
  skipLine(reason: LineSkipReason, offset: number): void;
}

/**
 * Visits every complete line (ending in `\n`) of the JSONL buffer `buf[0, end)` and parses the
 * lines the reader selects; returns the index just past the last newline (bytes after it are a
 * partial line the caller keeps for the next read). Blank lines are passed over; binary,
 * truncated or non-object lines are reported through the reader and never stop the scan.
 *
 * The reader is an object whose methods are called, not callbacks made per buffer: this loop is a
 * cold scan's hottest, and V8 optimises it for the functions it calls. New closures on every call
 * (one per 4 MiB read) made it throw that code away and compile it again several times a scan.
 */
export function scanJsonLines(buf: Buffer, end: number, base: number, patterns: readonly Buffer[], reader: JsonLineReader): number {
  const view = end === buf.length ? buf : buf.subarray(0, end);
  const next = patterns.map((p) => view.indexOf(p, 0));
  let start = 0;
  while (start < end) {
    const nl = view.indexOf(NL, start);
    if (nl < 0) break;
    let matches = 0;
    for (let i = 0; i < patterns.length; i++) {
      let at = next[i];
      if (at >= 0 && at < start) {
        at = view.indexOf(patterns[i], start);
        next[i] = at;
      }
      if (at >= 0 && at < nl) matches |= 1 << i;
    }
    const shape = lineShape(view, start, nl);
    if (shape === LineShape.Object) {
      const text = reader.selectLine(buf, start, nl, matches, base);
      if (text !== undefined) parseLine(text, base + start, reader);
    } else if (shape !== LineShape.Empty) {
      reader.skipLine(shape === LineShape.Binary ? 'binary' : 'malformed-json', base + start);
    }
    start = nl + 1;
  }
  return start;
}

function parseLine(text: string, offset: number, reader: JsonLineReader): void {
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch {
    reader.skipLine('malformed-json', offset);
    return;
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    reader.skipLine('not-an-object', offset);
    return;
  }
  reader.readRecord(record as Record<string, unknown>, offset);
}

function lineShape(buf: Buffer, start: number, end: number): LineShape {
  let s = start;
  let e = end;
  while (s < e && isSpace(buf[s])) s++;
  while (e > s && (isSpace(buf[e - 1]) || buf[e - 1] === CR)) e--;
  if (s === e) return LineShape.Empty;
  if (buf[s] === OPEN && buf[e - 1] === CLOSE) return LineShape.Object;
  // Searched within the line: from here to the buffer's end would be quadratic in bad lines.
  return buf.subarray(s, e).includes(0) ? LineShape.Binary : LineShape.Malformed;
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09;
}
