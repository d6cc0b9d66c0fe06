import fs = require('node:fs');

/**
 * Narrowing helpers for JSON read from agents' logs: every source checks shapes the same way, and
 * a value of the wrong type reads as absent rather than throwing.
 */

/** Whether a value is a plain object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A plain object (not null, not an array). */
export function obj(value: unknown): Record<string, unknown> | undefined {
  return isRecord(value) ? value : undefined;
}

/** A non-empty string. */
export function str(value: unknown): string | undefined {
  return typeof value === 'string' && value ? value : undefined;
}

/** A finite number. */
export function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** A whole number of at least 0 (a count of tokens, say). */
export function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

/** A token count: a whole number of at least 0; absent (undefined or null) means 0. */
export function tokenCount(value: unknown): number | undefined {
  return value === undefined || value === null ? 0 : count(value);
}

/** A tool result's text (Anthropic content): the string, or its text blocks joined by newlines. */
export function resultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((block) => str(obj(block)?.text) ?? '').join('\n');
}

/** The JSON value `text` holds, or the text itself when it is not JSON (tool arguments logged either way). */
export function parseJsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A JSON file's value, or undefined when it is missing or not JSON. */
export function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}
