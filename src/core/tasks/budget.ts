/**
 * How much of a task's budget is used, how fast it burns, when it runs out, and which alerts are
 * due. Pure functions of the task, its numbers and an injected `now`.
 *
 * Money is exact or it says so: a dollar budget whose usage could not be priced has an unknown
 * fraction (`usdUnpriced`), never 0%.
 */
import type { LedgerRecord } from '../ledger/ledger';
import { activeMs, reached, taskWindows, type Task, type TaskNumbers } from './task';

/** Budget alert thresholds in percent: halfway, time to wrap up, spent. */
export const DEFAULT_ALERT_THRESHOLDS: readonly number[] = [50, 80, 100];

/**
 * 10 minutes: long enough to span several agent turns (a Claude Code turn with tools is typically
 * 1-3 minutes of requests), short enough that a change of pace shows within one coffee.
 */
export const DEFAULT_BURN_WINDOW_MS = 10 * 60_000;

/**
 * 60 s: the shortest span a rate is extrapolated from. One request in the first seconds of a task
 * would otherwise read as hundreds of dollars an hour.
 */
export const MIN_RATE_SPAN_MS = 60_000;

const HOUR_MS = 3_600_000;

export interface BudgetUse {
  /** The largest used fraction over the kinds that can be measured (1 = 100%); undefined when none can. */
  fraction: number | undefined;
  /** Used fraction per budget kind set (absent: not set, or dollars that could not be priced). */
  byKind: { usd?: number; tokens?: number; minutes?: number };
  /** What is left per kind set; negative when over budget. */
  remaining: { usd?: number; tokens?: number; ms?: number };
  /** A dollar budget is set but no request could be priced: the dollar fraction is unknown. */
  usdUnpriced: boolean;
  /** Some requests could not be priced: the dollar fraction is a lower bound. */
  usdLowerBound: boolean;
}

export interface BurnRate {
  /** Dollars per hour of priced requests; null when the window has requests and none was priced. */
  usdPerHour: number | null;
  tokensPerHour: number;
  /** Requests inside the window. */
  requests: number;
  /** The span the rate was measured over (active task time within the window, at least MIN_RATE_SPAN_MS). */
  spanMs: number;
  /** Some requests in the window could not be priced: `usdPerHour` is a lower bound. */
  usdLowerBound: boolean;
}

/** Used and remaining budget at `now` (minutes are active time: pauses do not count). */
export function budgetUse(task: Task, numbers: TaskNumbers, now: number): BudgetUse {
  const { budget } = task;
  const use: BudgetUse = { fraction: undefined, byKind: {}, remaining: {}, usdUnpriced: false, usdLowerBound: false };
  if (budget.usd !== undefined) {
    if (numbers.costUSD === null && numbers.requests > 0) {
      use.usdUnpriced = true;
    } else {
      const spent = numbers.costUSD ?? 0;
      use.byKind.usd = spent / budget.usd;
      use.remaining.usd = budget.usd - spent;
      use.usdLowerBound = numbers.unpricedModels.length > 0;
    }
  }
  if (budget.tokens !== undefined) {
    use.byKind.tokens = numbers.totalTokens / budget.tokens;
    use.remaining.tokens = budget.tokens - numbers.totalTokens;
  }
  if (budget.minutes !== undefined) {
    const limitMs = budget.minutes * 60_000;
    const ms = activeMs(task, now);
    use.byKind.minutes = ms / limitMs;
    use.remaining.ms = limitMs - ms;
  }
  const fractions = [use.byKind.usd, use.byKind.tokens, use.byKind.minutes].filter((f): f is number => f !== undefined);
  if (fractions.length > 0) use.fraction = Math.max(...fractions);
  return use;
}

/**
 * Dollars and tokens per hour over the last `windowMs` before `now`, from the task's records.
 * With `task`, the rate is measured over the task's active time inside the window, so a task that
 * started 3 minutes ago, or was paused for 5 of the last 10, is not diluted by time it did not run.
 */
export function burnRate(records: readonly LedgerRecord[], now: number, windowMs: number = DEFAULT_BURN_WINDOW_MS, task?: Task): BurnRate {
  const from = now - windowMs;
  let usd: number | null = null;
  let tokens = 0;
  let requests = 0;
  let unpriced = 0;
  for (const r of records) {
    if (r.timestamp <= from || r.timestamp > now) continue;
    requests++;
    tokens += r.totalTokens;
    if (r.costUSD === null) unpriced++;
    else usd = (usd ?? 0) + r.costUSD;
  }
  let span = windowMs;
  if (task) {
    span = 0;
    for (const [a, b] of taskWindows(task)) span += Math.max(0, Math.min(b, now) - Math.max(a, from));
  }
  const spanMs = Math.min(windowMs, Math.max(span, MIN_RATE_SPAN_MS));
  const perHour = (n: number) => (n * HOUR_MS) / spanMs;
  return {
    usdPerHour: requests === 0 ? 0 : usd === null ? null : perHour(usd),
    tokensPerHour: perHour(tokens),
    requests,
    spanMs,
    usdLowerBound: unpriced > 0 && usd !== null,
  };
}

/**
 * Milliseconds until each budget kind runs out at `rate` (0 when already spent). A kind is absent
 * when it is not set, cannot be measured, or does not burn (rate 0). Nothing burns while the task
 * is paused or finished.
 */
export function projectedExhaustionByKind(task: Task, numbers: TaskNumbers, rate: BurnRate, now: number): { usd?: number; tokens?: number; minutes?: number } {
  if (task.status !== 'active') return {};
  const use = budgetUse(task, numbers, now);
  const out: { usd?: number; tokens?: number; minutes?: number } = {};
  const eta = (remaining: number | undefined, perHour: number | null) => {
    if (remaining === undefined) return undefined;
    if (remaining <= 0) return 0;
    return perHour !== null && perHour > 0 ? (remaining / perHour) * HOUR_MS : undefined;
  };
  const usd = eta(use.remaining.usd, rate.usdPerHour);
  const tokens = eta(use.remaining.tokens, rate.tokensPerHour);
  if (usd !== undefined) out.usd = usd;
  if (tokens !== undefined) out.tokens = tokens;
  if (use.remaining.ms !== undefined) out.minutes = Math.max(0, use.remaining.ms);
  return out;
}

/** Milliseconds until the first budget kind runs out at `rate`, or undefined when none will. */
export function projectedExhaustion(task: Task, numbers: TaskNumbers, rate: BurnRate, now: number): number | undefined {
  const etas = Object.values(projectedExhaustionByKind(task, numbers, rate, now));
  return etas.length > 0 ? Math.min(...etas) : undefined;
}

/**
 * The thresholds (percent, ascending) that `fraction` has reached and the task has not alerted yet.
 * Record them with `markAlertsFired` (or `TaskStore.claimAlerts` across windows) so each fires once.
 */
export function alertsDue(task: Task, fraction: number | undefined, thresholds: readonly number[] = DEFAULT_ALERT_THRESHOLDS): number[] {
  if (fraction === undefined) return [];
  return [...new Set(thresholds)].filter((t) => reached(fraction, t) && !task.alertsFired.includes(t)).sort((a, b) => a - b);
}
