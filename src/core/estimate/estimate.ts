/**
 * "Estimate Tokens": what a piece of text would cost as input context on the models the user
 * actually runs. Pure: the token count comes in (from `tokenizer.ts`, loaded lazily by the host),
 * the models come from ledger summaries, the dollars from the project's pricer.
 *
 * The count uses OpenAI's o200k_base encoding (GPT-4o, GPT-4.1, GPT-5, o1/o3/o4). It is exact for
 * those models' text tokens and an approximation for every other model: Anthropic has not published
 * Claude's tokenizer and Google's differs, so their rows are flagged `approximate`.
 */
import type { SessionSummary } from '../ledger/ledger';
import type { Pricer, Provider, TokenUsage } from '../pricing/pricer';

/** The tokenizer's encoding (see `tokenizer.ts`). */
export const ENCODING = 'o200k_base';

/**
 * Models priced when the workspace has no recent sessions: the default models of the two agents
 * Agent Meter reads most (Claude Code, Codex).
 */
export const DEFAULT_MODELS: readonly string[] = ['claude-sonnet-4-5-20250929', 'gpt-5'];

/** 30 days: "the models you use" means this month's sessions, not a model retired a year ago. */
export const RECENT_MS = 30 * 86_400_000;

/** 8 rows: more does not fit in a notification or a QuickPick without scrolling. */
export const MAX_MODELS = 8;

/**
 * 5 MB: js-tiktoken counted 1.3 MB/s of bundled JavaScript here (dist/extension.js, 1 MB, in 0.83 s), so above this the
 * editor would freeze for several seconds; the user is asked first.
 */
export const CONFIRM_ABOVE_BYTES = 5 * 1024 * 1024;

/** The part of a session summary the model list needs (a ledger `SessionSummary` fits). */
export type SessionModels = Pick<SessionSummary, 'lastActivity' | 'models'>;

/** What the text would cost as input on one model. */
export interface EstimateRow {
  readonly model: string;
  /** Provider whose prices apply; null when the model id names none we price (then unpriced). */
  readonly provider: Provider | null;
  /** Dollars for the text as fresh input; null = unpriced (never $0). */
  readonly inputUSD: number | null;
  /** Dollars if the text is read from the prompt cache; null when the model has no cheaper cache-read rate. */
  readonly cachedInputUSD: number | null;
  /** True when the model does not use o200k_base, so the token count is only an approximation for it. */
  readonly approximate: boolean;
}

/** The result of one Estimate Tokens command. Every number in it is an estimate. */
export interface TokenEstimate {
  /** What was counted: `selection` or `file`. */
  readonly scope: 'selection' | 'file';
  /** Human name of the source (the file name). */
  readonly label: string;
  readonly encoding: typeof ENCODING;
  readonly tokens: number;
  readonly characters: number;
  /** `workspace`: the models of this workspace's recent sessions; `default`: none were found. */
  readonly modelsFrom: 'workspace' | 'default';
  readonly rows: readonly EstimateRow[];
  /** The price table used, e.g. `@pydantic/genai-prices@0.1.8` of `2025-…`. */
  readonly priceTable: { readonly source: string; readonly date: string };
}

/**
 * The pricing provider a model id belongs to, by the vendors' own id prefixes (`claude-`, `gpt-`,
 * `o1`…, `gemini-`); a `vendor/` prefix (Cline, OpenRouter) is ignored. The pricer then looks the
 * full id up exactly, so this chooses a price list and never a price.
 */
export function providerOf(model: string): Provider | null {
  const id = model.toLowerCase().trim().replace(/^.*\//, '');
  if (id.startsWith('claude-')) return 'anthropic';
  if (id.startsWith('gpt-') || id.startsWith('chatgpt-') || /^o\d/.test(id)) return 'openai';
  if (id.startsWith('gemini-')) return 'google';
  return null;
}

/** Whether o200k_base is the model's own encoding (OpenAI: GPT-4o and later, the o-series). */
export function usesO200k(model: string): boolean {
  const id = model.toLowerCase().trim().replace(/^.*\//, '');
  return /^(gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o1|o3|o4)(?![a-z0-9.])/.test(id) || /^gpt-oss-/.test(id);
}

/**
 * The distinct models of the given sessions, most recently used first, ignoring sessions whose last
 * activity is older than `RECENT_MS` and placeholder ids such as Claude Code's `<synthetic>`.
 */
export function recentModels(sessions: readonly SessionModels[], now: number, max = MAX_MODELS): string[] {
  const lastUse = new Map<string, number>();
  for (const s of sessions) {
    if (now - s.lastActivity > RECENT_MS) continue;
    for (const model of s.models) {
      if (!model || model.startsWith('<')) continue;
      lastUse.set(model, Math.max(lastUse.get(model) ?? -Infinity, s.lastActivity));
    }
  }
  return [...lastUse.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, max)
    .map(([model]) => model);
}

function inputUsage(tokens: number, cached: boolean): TokenUsage {
  return { inputTokens: cached ? 0 : tokens, outputTokens: 0, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, cacheReadTokens: cached ? tokens : 0 };
}

/** One row per model: the text priced as input, and as a cache read where that is cheaper. */
export function estimateRows(tokens: number, models: readonly string[], pricer: Pricer, at: number): EstimateRow[] {
  return models.map((model) => {
    const provider = providerOf(model);
    const inputUSD = provider ? pricer.cost(provider, model, inputUsage(tokens, false), { at }) : null;
    const cached = provider && inputUSD !== null ? pricer.cost(provider, model, inputUsage(tokens, true), { at }) : null;
    // The pricer bills cache reads of a model without a cache-read rate as input; such a model has
    // no cached price to show. With zero tokens both are $0 and the cached column says so too.
    const cachedInputUSD = cached !== null && inputUSD !== null && (cached < inputUSD || tokens === 0) ? cached : null;
    return { model, provider, inputUSD, cachedInputUSD, approximate: !usesO200k(model) };
  });
}

/** Builds the whole estimate: the workspace's recent models, or the defaults when there are none. */
export function buildEstimate(input: {
  scope: TokenEstimate['scope'];
  label: string;
  tokens: number;
  characters: number;
  sessions: readonly SessionModels[];
  pricer: Pricer;
  now: number;
}): TokenEstimate {
  const recent = recentModels(input.sessions, input.now);
  const models = recent.length ? recent : DEFAULT_MODELS;
  return {
    scope: input.scope,
    label: input.label,
    encoding: ENCODING,
    tokens: input.tokens,
    characters: input.characters,
    modelsFrom: recent.length ? 'workspace' : 'default',
    rows: estimateRows(input.tokens, models, input.pricer, input.now),
    priceTable: input.pricer.tableInfo,
  };
}

/**
 * Dollars at the precision an estimate of small text needs: two decimals from a cent, two
 * significant digits below (`$0.0000060` for 2 tokens on Sonnet), `unpriced` for null.
 */
export function estimateDollars(value: number | null): string {
  if (value === null) return 'unpriced';
  if (value === 0) return '$0.00';
  if (value >= 0.01) return `$${value.toFixed(2)}`;
  if (value < 1e-6) return '< $0.000001';
  return `$${value.toFixed(Math.max(2, 1 - Math.floor(Math.log10(value))))}`;
}

/** `1,234`. */
function grouped(n: number): string {
  return n.toLocaleString('en-US');
}

/** One line per model: `claude-sonnet-4-5-20250929: $0.0037 input, $0.00037 cached (approximate count)`. */
export function rowText(row: EstimateRow): string {
  const cached = row.cachedInputUSD !== null ? `, ${estimateDollars(row.cachedInputUSD)} if cached` : '';
  return `${row.model}: ${estimateDollars(row.inputUSD)} input${cached}${row.approximate ? ' (approximate count)' : ''}`;
}

/** The short summary shown in the notification. */
export function summaryText(e: TokenEstimate): string {
  const what = e.scope === 'selection' ? 'Selection' : e.label;
  const first = e.rows.slice(0, 3).map((r) => `${r.model} ${estimateDollars(r.inputUSD)}${r.approximate ? '≈' : ''}`);
  const more = e.rows.length > 3 ? ` +${e.rows.length - 3} more` : '';
  return `${what}: ~${grouped(e.tokens)} tokens (estimated, ${e.encoding}). As input: ${first.join(', ')}${more}.`;
}

/** Plain text for the clipboard: every row, with what the numbers mean. */
export function estimateText(e: TokenEstimate): string {
  const lines = [
    `Estimated tokens of ${e.scope === 'selection' ? `a selection in ${e.label}` : e.label}: ${grouped(e.tokens)} (${e.encoding}, ${grouped(e.characters)} characters)`,
    `Estimated input cost on ${e.modelsFrom === 'workspace' ? "this workspace's recent models" : 'default models (no recent sessions in this workspace)'}:`,
    ...e.rows.map((r) => `  ${rowText(r)}`),
  ];
  if (e.rows.some((r) => r.approximate)) {
    lines.push(`Approximate: counted with OpenAI's ${e.encoding}; Anthropic's tokenizer is not public and other vendors' differ, so those counts are approximations.`);
  }
  lines.push(`Prices: ${e.priceTable.source} (${e.priceTable.date}).`);
  return lines.join('\n');
}
