import { compactTokens, dollars } from '../../report/format';
import { duration, MINUTE, recordsBetween, spend, type GuardContext } from '../context';
import type { Verdict } from '../types';

/**
 * No workspace file change and no user turn for at least `burnMinutes`, while the agents spent at
 * least `burnTokens` or `burnUSD` in the last `burnMinutes`. The spend is measured over the
 * trailing window, not the whole quiet period, so the rule stops as soon as the burning stops.
 */
export function burnWithoutProgress(ctx: GuardContext): Verdict[] {
  const { settings, now, events, records, fileChanges, task } = ctx.input;
  let progressAt = task?.startedAt ?? -Infinity;
  for (const t of fileChanges) if (t <= now && t > progressAt) progressAt = t;
  let first = Infinity;
  for (const e of events) {
    if (e.timestamp > now) continue;
    if (e.kind === 'userTurn' && e.timestamp > progressAt) progressAt = e.timestamp;
    if (e.timestamp < first) first = e.timestamp;
  }
  for (const r of records) if (r.timestamp < first) first = r.timestamp;
  // Without any signal, the first thing the agents wrote is when someone last asked for work.
  if (progressAt === -Infinity) progressAt = first;
  if (!Number.isFinite(progressAt) || now - progressAt < settings.burnMinutes * MINUTE) return [];

  const recent = recordsBetween(records, now - settings.burnMinutes * MINUTE, now);
  const { tokens, usd } = spend(recent);
  if (tokens < settings.burnTokens && (usd === null || usd < settings.burnUSD)) return [];
  const spent = usd !== null ? `${compactTokens(tokens)} tokens (${dollars(usd)})` : `${compactTokens(tokens)} tokens`;
  return [
    {
      rule: 'burnWithoutProgress',
      severity: 'warning',
      episodeKey: ctx.key('burnWithoutProgress', progressAt),
      message: `Agents spent ${spent} in the last ${settings.burnMinutes} minutes, yet no file has changed and you have not written to them for ${duration(now - progressAt)}; they may be going in circles.`,
      evidence: { events: [], records: recent },
    },
  ];
}
