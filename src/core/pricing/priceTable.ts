/**
 * The shape of the bundled price table (`prices.generated.ts`) and the model lookup rules that
 * come with it. Both are copied from @pydantic/genai-prices so that a model resolves here exactly
 * as it does in that library: the same match patterns, in the same order, with the same fallbacks.
 * No pattern is invented here; every `starts_with`/`contains`/`regex` below is one the table
 * itself declares for a model.
 */

/** A model-id pattern as declared by the table (genai-prices `MatchLogic`). */
export type MatchLogic =
  | { readonly and: readonly MatchLogic[] }
  | { readonly or: readonly MatchLogic[] }
  | { readonly equals: string }
  | { readonly starts_with: string }
  | { readonly ends_with: string }
  | { readonly contains: string }
  | { readonly regex: string };

/** One long-context tier: the price applies when the request's total input exceeds `start`. */
export interface TableTier {
  readonly start: number;
  readonly price: number;
}

/** A flat price, or a base price with long-context tiers. Dollars per million tokens (or per 1000 searches). */
export type TablePrice = number | { readonly base: number; readonly tiers: readonly TableTier[] };

/** The price keys we keep from genai-prices, with its names. */
export interface TableRates {
  readonly input_mtok?: TablePrice;
  readonly output_mtok?: TablePrice;
  /** Cache write, 5-minute TTL (genai-prices' default cache write). */
  readonly cache_write_mtok?: TablePrice;
  readonly cache_write_1h_mtok?: TablePrice;
  readonly cache_read_mtok?: TablePrice;
  /** Dollars per 1000 server-side web searches. */
  readonly web_searches_kcount?: TablePrice;
}

/** Prices in force from `from` (UTC midnight, inclusive) until the next period; no `from` = since ever. */
export interface TablePeriod {
  readonly from?: string;
  readonly prices: TableRates;
}

/** One model of the table, with the patterns the table declares for it. */
export interface TableModel {
  readonly id: string;
  readonly match: MatchLogic;
  readonly periods: readonly TablePeriod[];
}

/** One provider's models, in the table's order (the first match wins, as in genai-prices). */
export interface TableProvider {
  /** Providers searched when no model of this one matches (declared by the table, e.g. google → anthropic for Claude on Vertex). */
  readonly fallback: readonly string[];
  readonly models: readonly TableModel[];
}

/** The whole bundled table. */
export interface PriceTableData {
  /** Package and version the data was extracted from, e.g. `@pydantic/genai-prices@0.1.8`. */
  readonly source: string;
  /** The data's date (YYYY-MM-DD): the publish date of that package version. */
  readonly date: string;
  readonly providers: Readonly<Record<string, TableProvider>>;
}

/** Whether `id` (already lower-cased and trimmed) satisfies a table pattern; genai-prices semantics. */
export function matchesPattern(logic: MatchLogic, id: string): boolean {
  if ('or' in logic) return logic.or.some((l) => matchesPattern(l, id));
  if ('and' in logic) return logic.and.every((l) => matchesPattern(l, id));
  if ('equals' in logic) return id === logic.equals.toLowerCase();
  if ('starts_with' in logic) return id.startsWith(logic.starts_with.toLowerCase());
  if ('ends_with' in logic) return id.endsWith(logic.ends_with.toLowerCase());
  if ('contains' in logic) return id.includes(logic.contains.toLowerCase());
  // The table's regexes are matched against the lower-cased id, as genai-prices does.
  return new RegExp(logic.regex).test(id);
}

/** genai-prices retries `-20250929`-style suffixes as `-2025-09-29` (only for valid calendar dates). */
const COMPACT_DATE = /(-)(20\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?=-|:|$)/g;

function expandCompactDates(id: string): string {
  return id.replace(COMPACT_DATE, (whole: string, dash: string, y: string, m: string, d: string) => {
    const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
    const valid = date.getUTCFullYear() === Number(y) && date.getUTCMonth() === Number(m) - 1 && date.getUTCDate() === Number(d);
    return valid ? `${dash}${y}-${m}-${d}` : whole;
  });
}

function findInProvider(table: PriceTableData, provider: TableProvider, id: string, withFallback: boolean): TableModel | undefined {
  const own = provider.models.find((m) => matchesPattern(m.match, id));
  if (own || !withFallback) return own;
  for (const name of provider.fallback) {
    const other = table.providers[name];
    // As in genai-prices, a fallback provider's own fallbacks are not followed.
    const found = other && findInProvider(table, other, id, false);
    if (found) return found;
  }
  return undefined;
}

/**
 * The table model a logged model id prices as, or undefined when the table does not know it.
 * Mirrors genai-prices `calcPrice` with an explicit provider id: lower-case and trim, first
 * declared match in table order (then the provider's declared fallbacks), then the same with
 * compact dates expanded. Runs regexes, so callers cache the result per (provider, model).
 */
export function findTableModel(table: PriceTableData, providerId: string, model: string): TableModel | undefined {
  const provider = table.providers[providerId];
  if (!provider) return undefined;
  const id = model.toLowerCase().trim();
  const found = findInProvider(table, provider, id, true);
  if (found) return found;
  const expanded = expandCompactDates(id);
  return expanded === id ? undefined : findInProvider(table, provider, expanded, true);
}
