import { compactTokens, counted, dollars } from '../../report/format';
import { duration, inAbout, MINUTE, recordsBetween, spend, theLast, type GuardContext } from '../context';
import type { Verdict } from '../types';

/**
 * At the rate of the last `rateWindowMinutes`, a budget (dollars, tokens or minutes) runs out in
 * under `projectionHorizonMinutes` while done criteria are still open; an error once it has run
 * out. Silent while no agent is spending: with no burn there is nothing to project, and a task
 * left alone is the idle rule's business.
 */
export function budgetProjection(ctx: GuardContext): Verdict[] {
  const { settings, now, task, records } = ctx.input;
  if (!task || task.openCriteria <= 0) return [];
  const windowStart = Math.max(now - settings.rateWindowMinutes * MINUTE, task.startedAt);
  const recent = recordsBetween(records, windowStart, now);
  if (recent.length === 0) return [];
  // At least one minute, so the first request of a task does not project an absurd rate.
  const spanMinutes = Math.max(now - windowStart, MINUTE) / MINUTE;
  const { tokens, usd } = spend(recent);
  const open = `${counted(task.openCriteria, 'done criterion', 'done criteria')} still open`;
  const verdicts: Verdict[] = [];
  const check = (kind: 'usd' | 'tokens' | 'minutes', limit: number | undefined, used: number, perMinute: number, show: (n: number) => string, unit: string) => {
    if (limit === undefined || limit <= 0 || perMinute <= 0) return;
    const left = limit - used;
    const rate = kind === 'minutes' ? '' : ` (${show(perMinute)} a minute)`;
    if (left <= 0) {
      verdicts.push({
        rule: 'budgetProjection',
        severity: 'error',
        episodeKey: ctx.key('budgetProjection', kind, 'exceeded'),
        message: `This task has used ${show(used)} of its ${show(limit)}${unit} budget with ${open}, and agents are still working${rate}.`,
        evidence: { events: [], records: recent },
      });
      return;
    }
    const minutesLeft = left / perMinute;
    if (minutesLeft >= settings.projectionHorizonMinutes) return;
    const pace = kind === 'minutes' ? '' : `At the rate of ${theLast(spanMinutes * MINUTE)}${rate}, `;
    const subject = kind === 'minutes' ? `This task's time budget of ${show(limit)}` : `this task's ${show(limit)}${unit} budget`;
    verdicts.push({
      rule: 'budgetProjection',
      severity: 'warning',
      episodeKey: ctx.key('budgetProjection', kind, 'projected'),
      message: `${pace}${subject} runs out ${inAbout(minutesLeft * MINUTE)}, with ${open}.`,
      evidence: { events: [], records: recent },
    });
  };
  check('usd', task.budget.usd, task.spentUSD, (usd ?? 0) / spanMinutes, (n) => dollars(n), '');
  check('tokens', task.budget.tokens, task.spentTokens, tokens / spanMinutes, compactTokens, ' token');
  check('minutes', task.budget.minutes, (now - task.startedAt) / MINUTE, 1, (n) => duration(n * MINUTE), '');
  return verdicts;
}
