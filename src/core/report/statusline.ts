import path = require('node:path');
import { addRecord, emptyTotals, type LedgerRecord, type SessionSummary, type Totals } from '../ledger/ledger';
import { globalStorageDirs } from '../sources/cline/clineSource';
import type { SourceEnv } from '../sources/source';
import { budgetShare, compactTokens, dollars } from './format';

/**
 * The one-line meter for a terminal: Claude Code's `statusLine` command, a tmux status, a prompt.
 * What the session being worked in cost so far, what today cost across every agent, and the spend
 * of the last hour (the burn), as data and as text.
 */

/** Dollars and tokens of a set of requests; `unpriced` when some could not be priced. */
export interface Spend {
  readonly costUSD: number | null;
  readonly totalTokens: number;
  readonly requests: number;
  readonly unpriced: boolean;
}

/** The open task of the folder: what it used of its budget. */
export interface StatuslineTask {
  readonly goal: string;
  readonly paused: boolean;
  /** Largest share of any budget kind (1 = 100%); undefined when none can be measured. */
  readonly fraction: number | undefined;
  readonly costUSD: number | null;
  readonly unpriced: boolean;
  readonly totalTokens: number;
  readonly activeMinutes: number;
  readonly budget: { readonly usd?: number; readonly tokens?: number; readonly minutes?: number };
  /** The budget kind closest to its limit. */
  readonly binding: 'usd' | 'tokens' | 'minutes' | undefined;
}

export interface StatuslineNumbers {
  readonly task?: StatuslineTask;
  readonly session?: Spend & { readonly agent: string; readonly sessionId: string };
  readonly today: Spend;
  /** Requests of the last 60 minutes: dollars and tokens per hour at the present pace. */
  readonly lastHour: Spend;
}

export interface StatuslineInput {
  readonly now: number;
  /** Local midnight of today, epoch ms. */
  readonly dayStart: number;
  /** Counted records of every session active today or in the last hour (older records are ignored). */
  readonly records: readonly LedgerRecord[];
  /** The session the line is for, whole (it may have begun before today). */
  readonly session?: SessionSummary;
  readonly task?: StatuslineTask;
}

export const HOUR_MS = 3_600_000;

/** The extension's id: its task store is `<editor user dir>/User/globalStorage/<id>/tasks.json`. */
const EXTENSION_ID = 'agent-meter.agent-meter';

/** The extension's task stores in every editor it may run in (one per editor), those that exist. */
export function taskStores(env: SourceEnv, exists: (file: string) => boolean): string[] {
  return globalStorageDirs(env, EXTENSION_ID)
    .map((dir) => path.join(dir, 'tasks.json'))
    .filter(exists);
}

export function statuslineNumbers(input: StatuslineInput): StatuslineNumbers {
  const today = emptyTotals();
  const lastHour = emptyTotals();
  let unpricedToday = false;
  let unpricedHour = false;
  for (const r of input.records) {
    if (r.timestamp > input.now) continue;
    if (r.timestamp >= input.dayStart) {
      addRecord(today, r);
      if (r.costUSD === null) unpricedToday = true;
    }
    // The pace is the last 60 minutes', midnight or not.
    if (r.timestamp > input.now - HOUR_MS) {
      addRecord(lastHour, r);
      if (r.costUSD === null) unpricedHour = true;
    }
  }
  const s = input.session;
  return {
    task: input.task,
    session: s ? { agent: s.agent, sessionId: s.sessionId, ...spend(s, s.unpricedModels.length > 0) } : undefined,
    today: spend(today, unpricedToday),
    lastHour: spend(lastHour, unpricedHour),
  };
}

function spend(t: Totals, unpriced: boolean): Spend {
  return { costUSD: t.costUSD, totalTokens: t.totalTokens, requests: t.requests, unpriced };
}

/** `Opus 4.5 · $0.42 session · $3.10 today · $1.20/h`; tokens where nothing was priced, never "$0". */
export function statuslineText(n: StatuslineNumbers, model?: string): string {
  const parts: string[] = [];
  if (model) parts.push(model);
  if (n.task) parts.push(taskText(n.task));
  if (n.session && n.session.requests > 0) parts.push(amount(n.session, ' session'));
  if (n.today.requests > 0) parts.push(amount(n.today, ' today'));
  if (n.lastHour.requests > 0) parts.push(amount(n.lastHour, '/h'));
  if (parts.length === (model ? 1 : 0)) parts.push('no agent usage today');
  return parts.join(' · ');
}

function amount(s: Spend, unit: string): string {
  if (s.costUSD === null) return `${compactTokens(s.totalTokens)} tokens${unit} (unpriced)`;
  return `${dollars(s.costUSD)}${unit}${s.unpriced ? ' (some unpriced)' : ''}`;
}

/** `task $3.05 of $5 (61%)`: the budget kind closest to its limit; `task paused …` while paused. */
function taskText(t: StatuslineTask): string {
  const head = t.paused ? 'task paused' : 'task';
  const share = t.fraction === undefined ? '' : ` (${budgetShare(t.fraction)})`;
  switch (t.binding) {
    case 'usd':
      // Measured in dollars only when something was priced or nothing was spent yet.
      return `${head} ${dollars(t.costUSD ?? 0)} of ${dollars(t.budget.usd!)}${t.unpriced ? ' (some unpriced)' : ''}${share}`;
    case 'tokens':
      return `${head} ${compactTokens(t.totalTokens)} of ${compactTokens(t.budget.tokens!)} tokens${share}`;
    case 'minutes':
      return `${head} ${Math.floor(t.activeMinutes)} of ${t.budget.minutes} min${share}`;
    default:
      // A dollar budget with nothing priced: the tokens, never "$0".
      return `${head} ${compactTokens(t.totalTokens)} tokens (unpriced)`;
  }
}
