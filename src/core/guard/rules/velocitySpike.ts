import { compactTokens } from '../../report/format';
import { MINUTE, sessionName, type GuardContext } from '../context';
import type { Verdict } from '../types';

/**
 * The session's tokens in the last minute exceed `spikeFactor` times the median of its earlier
 * active minutes (per-minute buckets counted back from now; idle minutes are left out, or every
 * session with a coffee break would have a median of zero). Needs `spikeHistoryMinutes` active
 * minutes of history, and a minute of at least `spikeMinTokensPerMinute`.
 */
export function velocitySpike(ctx: GuardContext): Verdict[] {
  const { settings, now } = ctx.input;
  const verdicts: Verdict[] = [];
  for (const session of ctx.sessions) {
    const current = session.records.filter((r) => r.timestamp > now - MINUTE);
    const tokens = current.reduce((sum, r) => sum + r.totalTokens, 0);
    if (tokens < settings.spikeMinTokensPerMinute) continue;
    const buckets = new Map<number, number>();
    for (const r of session.records) {
      if (r.timestamp > now - MINUTE) continue;
      const bucket = Math.floor((now - r.timestamp) / MINUTE);
      buckets.set(bucket, (buckets.get(bucket) ?? 0) + r.totalTokens);
    }
    const active = [...buckets.values()].filter((n) => n > 0);
    if (active.length < settings.spikeHistoryMinutes) continue;
    const typical = median(active);
    if (tokens <= settings.spikeFactor * typical) continue;
    verdicts.push({
      rule: 'velocitySpike',
      severity: 'warning',
      episodeKey: ctx.key('velocitySpike', session.sessionId),
      message: `${sessionName(session)} used ${compactTokens(tokens)} tokens in the last minute, ${(tokens / typical).toFixed(1)} times its usual ${compactTokens(Math.round(typical))} a minute; check what it is doing.`,
      sessionId: session.sessionId,
      evidence: { events: [], records: current },
    });
  }
  return verdicts;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
