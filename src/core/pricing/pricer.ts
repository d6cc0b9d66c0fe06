/**
 * Tokens → dollars for Claude Code and Codex requests, from one bundled, dated, offline table
 * (`prices.generated.ts`, extracted from @pydantic/genai-prices). An unknown model is unpriced
 * (`null`), never $0 and never guessed from a similar name.
 *
 * This module does not import zod: loading zod costs 80-130 ms unbundled on Node 20, more than the
 * CLI's whole start budget, so the override schema lives in `priceOverrides.ts` and is only loaded
 * by the code that reads settings or flags.
 */
import { PRICE_TABLE } from './prices.generated';
import { findTableModel, type PriceTableData, type TablePrice, type TableRates } from './priceTable';

/** Who served the request; selects the table's provider section. */
export type Provider = 'anthropic' | 'openai' | 'google';

/** Token counts of one request, each counted once (the parts do not overlap). */
export interface TokenUsage {
  /** Input tokens that were neither written to nor read from the cache. */
  inputTokens: number;
  /** Output tokens, including reasoning/thinking tokens. */
  outputTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  cacheReadTokens: number;
  /** Server-side web searches (Claude `server_tool_use.web_search_requests`); billed per search. */
  webSearchRequests?: number;
}

/** When and how the request ran. */
export interface PriceOptions {
  /** Epoch ms of the request; selects the prices in force then. Defaults to now. */
  at?: number;
  /** Claude `usage.speed`. `"fast"` is priced only from a user override (the table has no fast rates). */
  speed?: string;
}

/** Per-million-token rates that replace the table's for one model (negotiated prices). */
export interface RateOverride {
  input?: number;
  output?: number;
  cacheWrite5m?: number;
  cacheWrite1h?: number;
  cacheRead?: number;
}

/** A model's override: standard rates, plus optional rates for Anthropic fast mode. */
export interface PriceOverride extends RateOverride {
  /** Rates for `speed: "fast"`, over the (overridden) standard rates; without it fast requests are unpriced. */
  fast?: RateOverride;
}

/**
 * Model id → override. Keys match the logged model id (e.g. `claude-sonnet-4-5-20250929`) or the
 * table's model id it resolves to (e.g. `claude-sonnet-4-5`), case-insensitively; the logged id
 * wins. An overridden rate applies at every date and every context length. A model the table
 * does not know becomes priced when its override gives at least `input` and `output`.
 */
export type PriceOverrides = Readonly<Record<string, PriceOverride>>;

/** Prices requests. Create once and reuse: resolved models are cached. */
export interface Pricer {
  /** Dollars for one request, or null when the model is not in the table (unpriced). */
  cost(provider: Provider, model: string, usage: TokenUsage, opts?: PriceOptions): number | null;
  /** cost() with the time and speed as arguments, for the ledger's per-record path (no options object to build and read). */
  costAt(provider: Provider, model: string, usage: TokenUsage, at: number, speed: string | undefined): number | null;
  /** Whether the model is known (priced). */
  isPriced(provider: Provider, model: string): boolean;
  /** The table's model id a logged id prices as (`claude-sonnet-4-5` for `claude-sonnet-4-5-20250929`), or null. */
  tableModelId(provider: Provider, model: string): string | null;
  /** The table's date and source, e.g. for the CLI's --version and the recap footer. */
  readonly tableInfo: { source: string; date: string };
  /** Changes whenever any price could change (table or overrides): persisted costs are keyed by it. */
  readonly fingerprint: string;
}

// Effective rates, indexes into a band's `r`: dollars per million tokens, searches per thousand.
const IN = 0;
const OUT = 1;
const CW5 = 2;
const CW1H = 3;
const CR = 4;
const WS = 5;
type Rates = [number, number, number, number, number, number];

/** Rates for requests whose total input (input + cache writes + cache reads) is > `above`. */
interface Band {
  readonly above: number;
  readonly r: Rates;
}

/** Bands in force from `fromMs`; `bands` is null when the table gives no input or output price then. */
interface Period {
  readonly fromMs: number;
  readonly bands: readonly Band[] | null;
}

/**
 * A model resolved once per (provider, model id); everything the hot path needs. Never changed
 * after it is made (its fast-mode variant is kept beside it): V8 optimises the per-request code for
 * the objects' shape, and a property added later would make it throw that code away.
 */
interface Resolved {
  readonly id: string;
  readonly periods: readonly Period[];
  readonly override: PriceOverride | undefined;
}

/** Price of one key at total input `total`: genai-prices applies the last tier whose start is < total to the whole request. */
function priceAt(p: TablePrice | undefined, total: number): number | undefined {
  if (p === undefined || typeof p === 'number') return p;
  let price = p.base;
  for (const t of p.tiers) if (total > t.start) price = t.price;
  return price;
}

function thresholds(p: TablePrice | undefined): number[] {
  return p === undefined || typeof p === 'number' ? [] : p.tiers.map((t) => t.start);
}

/**
 * Effective rates at total input `total`. Missing cache prices fall back the way genai-prices
 * decomposes usage: cache reads and 5-minute writes of a model without their own price are billed
 * as input, 1-hour writes as 5-minute writes.
 */
function ratesAt(prices: TableRates, total: number): Rates | null {
  const input = priceAt(prices.input_mtok, total);
  const output = priceAt(prices.output_mtok, total);
  if (input === undefined || output === undefined) return null;
  const write5m = priceAt(prices.cache_write_mtok, total) ?? input;
  return [
    input,
    output,
    write5m,
    priceAt(prices.cache_write_1h_mtok, total) ?? write5m,
    priceAt(prices.cache_read_mtok, total) ?? input,
    priceAt(prices.web_searches_kcount, total) ?? 0,
  ];
}

function bandsFor(prices: TableRates): Band[] | null {
  const starts = new Set<number>();
  for (const key of ['input_mtok', 'output_mtok', 'cache_write_mtok', 'cache_write_1h_mtok', 'cache_read_mtok', 'web_searches_kcount'] as const) {
    for (const s of thresholds(prices[key])) starts.add(s);
  }
  const bands: Band[] = [];
  // Thresholds are integers, so start + 0.5 lies strictly inside the band (start, next start].
  for (const above of [-Infinity, ...[...starts].sort((a, b) => a - b)]) {
    const r = ratesAt(prices, above === -Infinity ? 0 : above + 0.5);
    if (!r) return null;
    bands.push({ above, r });
  }
  return bands;
}

function applyRates(r: Rates, o: RateOverride): Rates {
  return [o.input ?? r[IN], o.output ?? r[OUT], o.cacheWrite5m ?? r[CW5], o.cacheWrite1h ?? r[CW1H], o.cacheRead ?? r[CR], r[WS]];
}

function withOverride(periods: readonly Period[], o: RateOverride): Period[] {
  return periods.map((p) => ({ fromMs: p.fromMs, bands: p.bands && p.bands.map((b) => ({ above: b.above, r: applyRates(b.r, o) })) }));
}

/** Rates for a model only an override knows; same fallbacks as the table (cache read/write → input). */
function overrideOnly(id: string, o: PriceOverride): Resolved | null {
  if (o.input === undefined || o.output === undefined) return null;
  const write5m = o.cacheWrite5m ?? o.input;
  const r: Rates = [o.input, o.output, write5m, o.cacheWrite1h ?? write5m, o.cacheRead ?? o.input, 0];
  return { id, periods: [{ fromMs: -Infinity, bands: [{ above: -Infinity, r }] }], override: o };
}

function normaliseOverrides(overrides: PriceOverrides | undefined): Map<string, PriceOverride> {
  const map = new Map<string, PriceOverride>();
  for (const [key, value] of Object.entries(overrides ?? {})) map.set(key.toLowerCase().trim(), value);
  return map;
}

function dollars(resolved: Resolved, u: TokenUsage, at: number): number | null {
  const periods = resolved.periods;
  let i = periods.length - 1;
  while (i > 0 && at < periods[i]!.fromMs) i--;
  const bands = periods[i]!.bands;
  if (!bands) return null;
  const totalInput = u.inputTokens + u.cacheWrite5mTokens + u.cacheWrite1hTokens + u.cacheReadTokens;
  let b = bands.length - 1;
  while (b > 0 && !(totalInput > bands[b]!.above)) b--;
  const r = bands[b]!.r;
  const perMillion =
    r[IN] * u.inputTokens + r[OUT] * u.outputTokens + r[CW5] * u.cacheWrite5mTokens + r[CW1H] * u.cacheWrite1hTokens + r[CR] * u.cacheReadTokens;
  return perMillion / 1e6 + (u.webSearchRequests ? (r[WS] * u.webSearchRequests) / 1000 : 0);
}

function validUsage(u: TokenUsage): boolean {
  // `!(x >= 0)` also rejects NaN; a malformed record is unpriced, not a crash or $0.
  return (
    u.inputTokens >= 0 &&
    u.outputTokens >= 0 &&
    u.cacheWrite5mTokens >= 0 &&
    u.cacheWrite1hTokens >= 0 &&
    u.cacheReadTokens >= 0 &&
    (u.webSearchRequests ?? 0) >= 0
  );
}

/**
 * Builds a pricer over the bundled table, with optional negotiated-rate overrides (validate them
 * first with `priceOverridesSchema` from `priceOverrides.ts`). `table` is a seam for tests.
 */
export function createPricer(overrides?: PriceOverrides, table: PriceTableData = PRICE_TABLE): Pricer {
  const byModel = normaliseOverrides(overrides);
  // One map per provider keyed by the raw logged id: no string building or regex per record
  // (a joined `provider/model` key made cost() ~260 ns per record; this way it is ~90 ns).
  // A Map, not an object indexed by name: a keyed load that met one provider is deoptimised by the next.
  const cache = new Map<Provider, Map<string, Resolved | null>>([
    ['anthropic', new Map()],
    ['openai', new Map()],
    ['google', new Map()],
  ]);

  function resolve(provider: Provider, model: string): Resolved | null {
    const byId = cache.get(provider);
    if (!byId) return null;
    let hit = byId.get(model);
    if (hit !== undefined) return hit;
    const found = findTableModel(table, provider, model);
    const ownOverride = byModel.get(model.toLowerCase().trim());
    if (found) {
      const base: Period[] = found.periods.map((p) => ({ fromMs: p.from ? Date.parse(`${p.from}T00:00:00Z`) : -Infinity, bands: bandsFor(p.prices) }));
      const override = ownOverride ?? byModel.get(found.id);
      hit = { id: found.id, periods: override ? withOverride(base, override) : base, override };
    } else {
      hit = ownOverride ? overrideOnly(model.toLowerCase().trim(), ownOverride) : null;
    }
    byId.set(model, hit);
    return hit;
  }

  /** Each resolved model's fast-mode variant, built on first use; null when fast mode is unpriced. */
  const fastVariants = new Map<Resolved, Resolved | null>();

  function fastVariant(resolved: Resolved): Resolved | null {
    let variant = fastVariants.get(resolved);
    if (variant === undefined) {
      const fast = resolved.override?.fast;
      variant = fast ? { id: resolved.id, periods: withOverride(resolved.periods, fast), override: resolved.override } : null;
      fastVariants.set(resolved, variant);
    }
    return variant;
  }

  function costAt(provider: Provider, model: string, usage: TokenUsage, at: number, speed: string | undefined): number | null {
    let resolved = resolve(provider, model);
    if (!resolved || !validUsage(usage)) return null;
    if (speed !== undefined && speed !== '' && speed !== 'standard') {
      // The table has no fast-mode (or other speed) rates; only an override can price them.
      resolved = speed === 'fast' ? fastVariant(resolved) : null;
      if (!resolved) return null;
    }
    if (!Number.isFinite(at)) return null;
    return dollars(resolved, usage, at);
  }

  return {
    cost: (provider, model, usage, opts) => costAt(provider, model, usage, opts?.at ?? Date.now(), opts?.speed),
    costAt,
    isPriced(provider, model) {
      const resolved = resolve(provider, model);
      // The latest period decides: a model whose current prices lack input or output is unpriced.
      return resolved !== null && resolved.periods[resolved.periods.length - 1]!.bands !== null;
    },
    tableModelId(provider, model) {
      return resolve(provider, model)?.id ?? null;
    },
    tableInfo: { source: table.source, date: table.date },
    fingerprint: `${table.source}|${table.date}|${JSON.stringify(overrides ?? {})}`,
  };
}
