/**
 * Pieces of regular expressions for JSON lines spelled out in an agent's own layout (see the
 * Claude and Codex parsers' fast paths): JSON as JSON.stringify writes it, without white space.
 */

/** A JSON string with no escape or control character (its text is its value), captured. */
export const PLAIN_STRING = '"([^"\\\\\\u0000-\\u001f]*)"';
/** The same, not captured. */
export const ANY_PLAIN_STRING = '"[^"\\\\\\u0000-\\u001f]*"';
/** A JSON whole number of at least 0 (no sign, fraction, exponent or leading zero), captured. */
export const COUNT = '(0|[1-9][0-9]*)';
/** Any valid JSON string, escapes included. */
const JSON_STRING = '"(?:[^"\\\\\\u0000-\\u001f]|\\\\["\\\\/bfnrt]|\\\\u[0-9a-fA-F]{4})*"';
/** Any valid JSON string, number or literal. */
export const SCALAR = `(?:${JSON_STRING}|-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null)`;

/** A valid JSON object whose members' values each match `value`. */
export function objectOf(value: string): string {
  return `\\{(?:${JSON_STRING}:${value}(?:,${JSON_STRING}:${value})*)?\\}`;
}

/**
 * A string of a fast-path match kept beyond its line (a session id, a folder, a model, a speed),
 * the same string as the last one kept when equal. V8 makes a capture of 13 characters or more a
 * slice of the matched text, which keeps that whole line (about a kilobyte) alive as long as the
 * capture is: a file's session and folder, or a record's model, would hold a line each. A new
 * value is copied (UTF-16 both ways: exact for any string), once per change.
 */
export class KeptString {
  private last = '';

  of(value: string): string {
    if (value !== this.last) this.last = value.length < 13 ? value : Buffer.from(value, 'utf16le').toString('utf16le');
    return this.last;
  }
}
