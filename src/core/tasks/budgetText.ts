import type { Budget } from './task';
import { parseAmount } from './task';

/**
 * Reads a budget typed in one line: `$5`, `300k tokens`, `45 min`, `1.5h`, in any order and
 * separated by spaces, commas or `·`. Returns the budget or a message saying what was not
 * understood.
 */
export function parseBudgetText(text: string): { budget: Budget } | { error: string } {
  const budget: { usd?: number; tokens?: number; minutes?: number } = {};
  const parts = text
    .split(/[,·;]|\s+(?=\$)/)
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 0) return { error: 'Give at least one limit: dollars ($5), tokens (300k tokens) or time (45 min).' };
  for (const part of parts) {
    const m = /^(\$?\s*[0-9.,_]+\s*[kKmM]?)\s*(\$|usd|dollars?|tok(?:en)?s?|m|min(?:ute)?s?|h|hours?)?$/i.exec(part.replace(/\s+/g, ' '));
    if (!m) return { error: `Not understood: "${part}". Examples: $5 · 300k tokens · 45 min` };
    const amountText = m[1].replace(/\s+/g, '');
    const unit = (m[2] ?? (amountText.startsWith('$') ? '$' : '')).toLowerCase();
    // "5m" is five minutes, "5M tokens" five million: only a unit-less amount with k/M is tokens.
    const isMinutesShorthand = /^[0-9.]+m$/i.test(amountText) && !m[2];
    const value = parseAmount(isMinutesShorthand ? amountText.slice(0, -1) : amountText);
    if (value === undefined) return { error: `"${part}": the amount must be a number above zero.` };
    if (unit === '$' || unit === 'usd' || unit.startsWith('dollar')) budget.usd = value;
    else if (unit.startsWith('tok')) budget.tokens = Math.round(value);
    else if (isMinutesShorthand || unit === 'm' || unit.startsWith('min')) budget.minutes = value;
    else if (unit === 'h' || unit.startsWith('hour')) budget.minutes = value * 60;
    else return { error: `"${part}": say what it counts — $5, 300k tokens or 45 min.` };
  }
  return { budget };
}

/** The budget as the user would type it: `$5 · 300k tokens · 45 min`. */
export function formatBudgetText(budget: Budget): string {
  const parts: string[] = [];
  if (budget.usd !== undefined) parts.push(`$${budget.usd}`);
  if (budget.tokens !== undefined) parts.push(`${budget.tokens >= 1000 ? `${budget.tokens / 1000}k` : budget.tokens} tokens`);
  if (budget.minutes !== undefined) parts.push(`${budget.minutes} min`);
  return parts.join(' · ');
}
