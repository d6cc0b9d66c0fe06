import { hexDigest } from './digest';

/**
 * A stable hash of a JSON-like value: object keys sorted, strings trimmed and their inner runs of
 * white space folded, so two tool calls that differ only in formatting hash equal.
 */
export function stableHash(value: unknown): string {
  return hexDigest('sha1', canonical(value)).slice(0, 16);
}

function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    return typeof value === 'string' ? JSON.stringify(value.trim().replace(/\s+/g, ' ')) : JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

/**
 * Hash of an error message with the parts that vary between identical failures removed: numbers
 * (durations, pids, line numbers), hex ids, and white space. The first 2,000 characters suffice: a
 * repeated failure repeats its opening.
 */
export function errorHash(text: string): string {
  const normalised = text
    .slice(0, 2000)
    .toLowerCase()
    .replace(/0x[0-9a-f]+|[0-9a-f]{8,}/g, '#')
    .replace(/\d+(\.\d+)?/g, '#')
    .replace(/\s+/g, ' ')
    .trim();
  return hexDigest('sha1', normalised).slice(0, 16);
}
