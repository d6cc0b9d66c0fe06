/**
 * Validation of user price overrides (negotiated rates) at the edge: the extension settings and
 * the CLI flag parse with this schema, then hand the result to `createPricer`. Kept apart from
 * `pricer.ts` so that pricing without overrides never loads zod (80-130 ms unbundled on Node 20).
 */
import { z } from 'zod';
import type { PriceOverride, PriceOverrides, RateOverride } from './pricer';

/** Dollars per million tokens: finite and not negative; 0 is allowed (e.g. a free internal model). */
const rate = z.number().finite().nonnegative();

const rateOverrideSchema = z
  .object({
    input: rate.optional(),
    output: rate.optional(),
    cacheWrite5m: rate.optional(),
    cacheWrite1h: rate.optional(),
    cacheRead: rate.optional(),
  })
  .strict() satisfies z.ZodType<RateOverride>;

const priceOverrideSchema = rateOverrideSchema.extend({ fast: rateOverrideSchema.optional() }).strict() satisfies z.ZodType<PriceOverride>;

/**
 * Model id → partial per-million-token rates, e.g.
 * `{ "claude-sonnet-4-5": { "input": 2.4, "output": 12 }, "claude-opus-4-6": { "fast": { "input": 30, "output": 150 } } }`.
 * Unknown keys inside an entry are rejected so that a typo (`cache_read`) is reported, not ignored.
 */
export const priceOverridesSchema: z.ZodType<PriceOverrides> = z.record(z.string().trim().min(1), priceOverrideSchema);
