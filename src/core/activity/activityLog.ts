import type { ActivityEvent } from '../sources/types';

/**
 * 2,000 events per session: a runaway loop is judged on its last few dozen calls, and a long
 * productive session writes about 1,500 tool calls in a day (the largest real transcript we saw).
 */
const PER_SESSION = 2000;

/**
 * The recent activity of each session, in time order, with replays removed: a resumed or forked
 * transcript repeats tool calls (same call id) that must not count as a loop.
 */
export class ActivityLog {
  private readonly sessions = new Map<string, ActivityEvent[]>();
  private readonly seenCalls = new Map<string, Set<string>>();
  private readonly cwds = new Map<string, string>();

  constructor(private readonly perSession = PER_SESSION) {}

  add(event: ActivityEvent): void {
    const key = `${event.agent}:${event.sessionId}`;
    if (event.kind === 'session') {
      if (!this.cwds.has(key)) this.cwds.set(key, event.cwd);
    }
    if ((event.kind === 'toolCall' || event.kind === 'toolError') && event.callId) {
      let seen = this.seenCalls.get(key);
      if (!seen) this.seenCalls.set(key, (seen = new Set()));
      const id = `${event.kind}:${event.callId}`;
      if (seen.has(id)) return;
      seen.add(id);
    }
    let list = this.sessions.get(key);
    if (!list) this.sessions.set(key, (list = []));
    // Events arrive in file order; files of one session (subagents) may interleave slightly.
    let at = list.length;
    while (at > 0 && list[at - 1].timestamp > event.timestamp) at--;
    list.splice(at, 0, event);
    if (list.length > this.perSession) list.splice(0, list.length - this.perSession);
  }

  /** Events of one session, oldest first. */
  events(agent: string, sessionId: string): readonly ActivityEvent[] {
    return this.sessions.get(`${agent}:${sessionId}`) ?? [];
  }

  /** The working folder a session announced, if any. */
  cwd(agent: string, sessionId: string): string | undefined {
    return this.cwds.get(`${agent}:${sessionId}`);
  }
}
