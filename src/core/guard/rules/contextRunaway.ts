import { compactTokens } from '../../report/format';
import { MINUTE, sessionName, type ContextEvent, type GuardContext } from '../context';
import type { ActivityEvent } from '../../sources/types';
import type { Verdict } from '../types';

/**
 * The session's latest context is at least `contextFraction` of the model's window (the window
 * from the log, else from `contextWindows` by the exact model id of the session's latest
 * request), or the session compacted `compactionRepeats` times within `compactionWindowMinutes`.
 */
export function contextRunaway(ctx: GuardContext): Verdict[] {
  const { settings, now } = ctx.input;
  const verdicts: Verdict[] = [];
  for (const session of ctx.sessions) {
    const latest = session.events.filter((e): e is ContextEvent => e.kind === 'context').at(-1);
    if (latest && !ctx.stale(latest.timestamp)) {
      const model = session.records.filter((r) => r.timestamp <= latest.timestamp).at(-1)?.model;
      const window = latest.contextWindow ?? (model !== undefined ? settings.contextWindows[model] : undefined);
      // Above the window means the table is wrong for this session (a 1M-token beta, say): say nothing.
      if (window && latest.contextTokens <= window && latest.contextTokens >= settings.contextFraction * window) {
        const percent = Math.round((100 * latest.contextTokens) / window);
        verdicts.push({
          rule: 'contextRunaway',
          severity: 'warning',
          episodeKey: ctx.key('contextRunaway', session.sessionId, 'full'),
          message: `${sessionName(session)} has ${compactTokens(latest.contextTokens)} of its ${compactTokens(window)}-token context in use (${percent}%); it will compact or fail soon, so consider a fresh session with a summary.`,
          sessionId: session.sessionId,
          evidence: { events: [latest], records: session.records.filter((r) => r.timestamp === latest.timestamp) },
        });
      }
    }
    const from = now - settings.compactionWindowMinutes * MINUTE;
    const compactions: ActivityEvent[] = session.events.filter((e) => e.kind === 'compaction' && e.timestamp > from);
    if (compactions.length >= settings.compactionRepeats) {
      verdicts.push({
        rule: 'contextRunaway',
        severity: 'warning',
        episodeKey: ctx.key('contextRunaway', session.sessionId, 'compactions'),
        message: `${sessionName(session)} has compacted its context ${compactions.length} times in the last ${settings.compactionWindowMinutes} minutes; it fills its window faster than real work does, so split the task or start fresh.`,
        sessionId: session.sessionId,
        evidence: { events: compactions, records: [] },
      });
    }
  }
  return verdicts;
}
