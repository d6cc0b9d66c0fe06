import type { ModelTotals, Totals } from '../ledger/ledger';
import { budgetShare, compactTokens, counted, dollars, grouped } from '../report/format';
import type { AgentId } from '../sources/types';

/** A session line in the tooltip. */
export interface MeterSession {
  readonly agent: AgentId;
  readonly sessionId: string;
  readonly firstActivity: number;
  readonly lastActivity: number;
}

/** Usage of what the meter shows: the active task, or the workspace today. */
export interface MeterNumbers extends Totals {
  readonly byModel: readonly ModelTotals[];
  readonly sessions: readonly MeterSession[];
  readonly unpricedModels: readonly string[];
}

export interface MeterTask {
  readonly goal: string;
  readonly paused: boolean;
  readonly startedAt: number;
  readonly budget: { readonly usd?: number; readonly tokens?: number; readonly minutes?: number };
  /** Largest share of any budget kind used, 0..∞ (1 = 100%); undefined when nothing measurable. */
  readonly budgetFraction: number | undefined;
  readonly remaining: { readonly usd?: number; readonly tokens?: number; readonly ms?: number };
  /** Dollars and tokens per hour over the recent window. */
  readonly burn: { readonly usdPerHour: number | null; readonly tokensPerHour: number };
  /** Milliseconds until the budget runs out at the current burn, if it will. */
  readonly projectedMs: number | undefined;
  readonly openCriteria: number;
  readonly activeMs: number;
}

export interface MeterInput {
  readonly now: number;
  readonly numbers: MeterNumbers;
  readonly task?: MeterTask;
  /** Budget share (percent) for the warning and error colours. */
  readonly warningAt: number;
  readonly errorAt: number;
  /** Open guard flags: raise the colour even under budget. */
  readonly flags?: ReadonlyArray<{ readonly severity: 'warning' | 'error'; readonly message: string }>;
}

export type Severity = 'none' | 'warning' | 'error';

export interface MeterView {
  readonly text: string;
  /** Markdown for a MarkdownString tooltip. */
  readonly tooltip: string;
  readonly severity: Severity;
  readonly ariaLabel: string;
}

const ICON = '$(pulse)';

/** Everything the status bar shows, computed without the editor so it can be tested as data. */
export function meterView(input: MeterInput): MeterView {
  const { numbers, task } = input;
  // Counts tokenized from logged text, not reported by the provider, are marked "≈".
  const estimated = numbers.byModel.some((m) => m.estimated === true);
  const cost = `${estimated ? '≈' : ''}${costText(numbers)}`;
  const tokens = `${estimated ? '≈' : ''}${compactTokens(numbers.totalTokens)}`;
  let text: string;
  let aria: string;
  let severity: Severity = 'none';
  if (task) {
    const fraction = task.budgetFraction;
    const share = fraction === undefined ? undefined : Math.round(fraction * 100);
    const shown = fraction === undefined ? undefined : budgetShare(fraction);
    text = `${task.paused ? '$(debug-pause)' : ICON} ${cost} · ${tokens}${shown === undefined ? '' : ` · ${shown}`}`;
    aria = `Agent Meter: task ${task.paused ? 'paused' : 'active'}, ${spokenCost(numbers)}, ${grouped(numbers.totalTokens)} tokens${shown === undefined ? '' : `, ${shown.replace('<', 'less than ').replace('%', ' percent')} of budget`}`;
    if (share !== undefined) severity = share >= input.errorAt ? 'error' : share >= input.warningAt ? 'warning' : 'none';
  } else if (numbers.requests === 0) {
    text = `${ICON} Agent Meter`;
    aria = 'Agent Meter: no agent usage in this workspace today';
  } else {
    text = `${ICON} ${cost} today · ${tokens}`;
    aria = `Agent Meter: ${spokenCost(numbers)} and ${grouped(numbers.totalTokens)} tokens today in this workspace, no task defined`;
  }
  for (const flag of input.flags ?? []) {
    if (flag.severity === 'error') severity = 'error';
    else if (severity === 'none') severity = 'warning';
  }
  return { text, tooltip: tooltip(input), severity, ariaLabel: aria };
}

function costText(n: MeterNumbers): string {
  if (n.costUSD === null) return n.requests ? 'unpriced' : '$0.00';
  return n.unpricedModels.length ? `${dollars(n.costUSD)}+` : dollars(n.costUSD);
}

function spokenCost(n: MeterNumbers): string {
  if (n.costUSD === null) return n.requests ? 'cost unknown (unpriced model)' : 'no cost';
  return `${dollars(n.costUSD)}${n.unpricedModels.length ? ' plus unpriced usage' : ''}`;
}

function tooltip(input: MeterInput): string {
  const { numbers: n, task, now } = input;
  const lines: string[] = [];
  if (task) {
    lines.push(`**Task${task.paused ? ' (paused)' : ''}:** ${escapeMarkdown(task.goal)}`, '');
    const parts: string[] = [];
    if (task.budget.usd !== undefined) parts.push(`${dollars(n.costUSD)} of ${dollars(task.budget.usd)}${task.remaining.usd !== undefined ? ` (${dollars(Math.max(0, task.remaining.usd))} left)` : ''}`);
    if (task.budget.tokens !== undefined) parts.push(`${compactTokens(n.totalTokens)} of ${compactTokens(task.budget.tokens)} tokens`);
    if (task.budget.minutes !== undefined) parts.push(`${duration(task.activeMs)} of ${duration(task.budget.minutes * 60000)}${task.remaining.ms !== undefined ? ` (${duration(Math.max(0, task.remaining.ms))} left)` : ''}`);
    if (parts.length) lines.push(`Budget: ${parts.join(' · ')}`);
    const burn = task.burn.usdPerHour !== null ? `${dollars(task.burn.usdPerHour)}/h` : 'unpriced';
    lines.push(`Burn rate: ${burn} · ${compactTokens(Math.round(task.burn.tokensPerHour))} tokens/h (last 10 min)`);
    if (task.projectedMs !== undefined) {
      const open = task.openCriteria ? ` with ${counted(task.openCriteria, 'done criterion', 'done criteria')} open` : '';
      // 0 is a budget already spent, not one that runs out "in about 0 s".
      lines.push(task.projectedMs <= 0 ? `Budget spent${open}` : `Budget runs out in about ${duration(Math.max(1000, task.projectedMs))} at this rate${open}`);
    }
    lines.push('');
  } else {
    lines.push(n.requests ? '**This workspace today** (no task defined)' : '**No agent usage in this workspace today**', '');
  }
  if (n.requests) {
    lines.push('| Model | Tokens | Cost |', '|---|---:|---:|');
    for (const m of n.byModel) lines.push(`| ${escapeMarkdown(m.model)}${m.estimated ? ' (estimated)' : ''} | ${compactTokens(m.totalTokens)} | ${m.priced ? dollars(m.costUSD) : 'unpriced'} |`);
    lines.push('');
    const cacheable = n.inputTokens + n.cacheCreationTokens + n.cacheReadTokens;
    if (cacheable > 0) lines.push(`Cache hit rate: ${((n.cacheReadTokens / cacheable) * 100).toFixed(0)}% · ${counted(n.requests, 'request')}`);
    if (n.unpricedModels.length) lines.push(`Unpriced (not in the price table, not counted as $0): ${n.unpricedModels.map(escapeMarkdown).join(', ')}`);
    if (n.byModel.some((m) => m.estimated)) lines.push('≈ Estimated: some counts were tokenized from the logged text because the agent recorded none.');
    lines.push('', `Sessions counted (${n.sessions.length}):`);
    for (const s of [...n.sessions].sort((a, b) => b.lastActivity - a.lastActivity).slice(0, 8)) {
      lines.push(`- ${s.agent} \`${s.sessionId.slice(0, 8)}\` started ${clock(s.firstActivity, now)}, last activity ${ago(now - s.lastActivity)}`);
    }
    if (n.sessions.length > 8) lines.push(`- … and ${n.sessions.length - 8} more`);
  }
  lines.push('', 'Click for actions');
  return lines.join('\n');
}

/** `1 h 05 min`, `12 min`, `40 s`. */
export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

function ago(ms: number): string {
  return ms < 5000 ? 'just now' : `${duration(ms)} ago`;
}

function clock(t: number, now: number): string {
  const d = new Date(t);
  const hm = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  return now - t < 86_400_000 ? hm : `${d.toISOString().slice(0, 10)} ${hm}`;
}

/** Log strings go into Markdown as text: every Markdown control character is escaped. */
export function escapeMarkdown(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (c) => `\\${c}`);
}
