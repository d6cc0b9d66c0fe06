import { agentName, MINUTE, type GuardContext, type ToolErrorEvent } from '../context';
import type { Verdict } from '../types';

/**
 * The same tool error (tool name and normalised error text) `errorRepeats` times within the last
 * `errorWindowMinutes`, since the session's last user turn. Arguments may differ: an agent trying
 * five spellings of one command that all fail the same way is as stuck as one repeating itself.
 */
export function errorLoop(ctx: GuardContext): Verdict[] {
  const { settings, now } = ctx.input;
  const from = now - settings.errorWindowMinutes * MINUTE;
  const verdicts: Verdict[] = [];
  for (const session of ctx.sessions) {
    const groups = new Map<string, ToolErrorEvent[]>();
    for (const e of session.sinceUserTurn) {
      if (e.kind !== 'toolError' || e.timestamp <= from) continue;
      const key = `${e.name}\u0000${e.errorHash}`;
      const group = groups.get(key);
      if (group) group.push(e);
      else groups.set(key, [e]);
    }
    for (const errors of groups.values()) {
      if (errors.length < settings.errorRepeats) continue;
      const { name, errorHash } = errors[0];
      const callIds = new Set(errors.map((e) => e.callId).filter(Boolean));
      const calls = session.events.filter((e) => e.kind === 'toolCall' && callIds.has(e.callId));
      verdicts.push({
        rule: 'errorLoop',
        severity: 'warning',
        episodeKey: ctx.key('errorLoop', session.sessionId, name, errorHash),
        message: `${agentName(session.agent)}'s ${name} tool has failed with the same error ${errors.length} times in the last ${settings.errorWindowMinutes} minutes; the agent keeps hitting the same wall.`,
        sessionId: session.sessionId,
        evidence: { events: [...calls, ...errors].sort((a, b) => a.timestamp - b.timestamp), records: [] },
      });
    }
  }
  return verdicts;
}
