/*
 * Reference list prices (USD per million tokens) for the models the
 * generator writes, and two cost functions over the truth buckets:
 *  - referenceCost: Anthropic's published rule — when a request's total input
 *    (input + cache writes + cache reads) exceeds 200k on a 1M-context Sonnet,
 *    ALL of that request's tokens are billed at the long-context rates;
 *    1h cache writes cost 2x input, 5m writes 1.25x; fast mode (Opus 4.6) 6x.
 *  - ccusageStyleCost: what ccusage 20.0.24 computes: long-context rates only
 *    for the tokens of each category above 200k in a request.
 */
import type { ModelBucket, TruthSession } from '../gen/generator';

interface Price {
  input: number;
  output: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
  long?: { input: number; output: number; cacheWrite5m: number; cacheWrite1h: number; cacheRead: number };
  fastMultiplier?: number;
}

const sonnet: Price = {
  input: 3,
  output: 15,
  cacheWrite5m: 3.75,
  cacheWrite1h: 6,
  cacheRead: 0.3,
  long: { input: 6, output: 22.5, cacheWrite5m: 7.5, cacheWrite1h: 12, cacheRead: 0.6 },
};

export const PRICES: Record<string, Price> = {
  'claude-sonnet-4-5-20250929': sonnet,
  'claude-sonnet-4-20250514': sonnet,
  'claude-opus-4-1-20250805': { input: 15, output: 75, cacheWrite5m: 18.75, cacheWrite1h: 30, cacheRead: 1.5 },
  'claude-opus-4-5-20251101': { input: 5, output: 25, cacheWrite5m: 6.25, cacheWrite1h: 10, cacheRead: 0.5 },
  'claude-opus-4-6': { input: 5, output: 25, cacheWrite5m: 6.25, cacheWrite1h: 10, cacheRead: 0.5, fastMultiplier: 6 },
  'claude-haiku-4-5-20251001': { input: 1, output: 5, cacheWrite5m: 1.25, cacheWrite1h: 2, cacheRead: 0.1 },
  'gpt-5': { input: 1.25, output: 10, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0.125 },
  'gpt-5-codex': { input: 1.25, output: 10, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0.125 },
  'gpt-5.1-codex': { input: 1.25, output: 10, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0.125 },
  'gpt-5-mini': { input: 0.25, output: 2, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0.025 },
};

function bucketCost(b: ModelBucket, style: 'reference' | 'ccusage'): number {
  const p = PRICES[b.model];
  if (!p) return NaN;
  const mult = b.speed === 'fast' && p.fastMultiplier ? p.fastMultiplier : 1;
  const useLong = style === 'reference' && b.longContext && p.long;
  const r = useLong ? p.long! : p;
  let usd =
    b.inputTokens * r.input +
    b.outputTokens * r.output +
    b.cacheCreation5mTokens * r.cacheWrite5m +
    b.cacheCreation1hTokens * r.cacheWrite1h +
    b.cacheReadTokens * r.cacheRead;
  if (style === 'ccusage' && b.tierExcess && p.long) {
    const x = b.tierExcess;
    const cw = b.cacheCreation1hTokens > b.cacheCreation5mTokens ? p.long.cacheWrite1h - p.cacheWrite1h : p.long.cacheWrite5m - p.cacheWrite5m;
    usd += x.input * (p.long.input - p.input) + x.output * (p.long.output - p.output) + x.cacheRead * (p.long.cacheRead - p.cacheRead) + x.cacheCreation * cw;
  }
  return (usd * mult) / 1e6;
}

export function referenceCost(s: TruthSession, opts: { withoutFast?: boolean } = {}): number {
  return s.breakdown.filter((b) => !(opts.withoutFast && b.speed === 'fast')).reduce((a, b) => a + bucketCost(b, 'reference'), 0);
}

/** Models with fast-mode requests: Agent Meter's bundled table has no fast rates, so they are unpriced. */
export function fastModels(s: TruthSession): string[] {
  return [...new Set(s.breakdown.filter((b) => b.speed === 'fast').map((b) => b.model))].sort();
}

export function ccusageStyleCost(s: TruthSession): number {
  return s.breakdown.reduce((a, b) => a + bucketCost(b, 'ccusage'), 0);
}

/** Sessions where ccusage's dollars legitimately differ from the reference. */
export function pricedDifferently(s: TruthSession): string | undefined {
  if (s.breakdown.some((b) => b.longContext && PRICES[b.model]?.long)) return 'long-context (>200k) request on a 1M-context Sonnet: ccusage tiers per token category';
  return undefined;
}

export function relDiff(a: number, b: number): number {
  if (a === b) return 0;
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-9);
}
