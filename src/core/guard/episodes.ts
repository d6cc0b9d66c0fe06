import type { RuleName, Verdict } from './types';

/** One open episode: a pattern that has kept firing since `since`. */
export interface EpisodeState {
  readonly rule: RuleName;
  /** `now` of the first update that saw the pattern. */
  readonly since: number;
  /** `now` of the latest update that saw it. */
  lastSeen: number;
  /** Whether its notification has gone out (it waits while snoozed or muted). */
  notified: boolean;
}

/** Everything the tracker knows; plain JSON, so the host can keep it across restarts. */
export interface EpisodeTrackerState {
  readonly episodes: Record<string, EpisodeState>;
  /** Epoch ms; no notification before it. */
  snoozedUntil?: number;
  readonly muted: RuleName[];
}

/** A verdict worth telling the developer about: the first of its episode. */
export interface Notification {
  readonly verdict: Verdict;
  /** When the episode began, which is earlier than now when a snooze or mute held it back. */
  readonly since: number;
}

/**
 * Turns the stream of verdict lists that `evaluate` gives on each tick into notifications: one per
 * episode. An episode is a run of updates in which a verdict with the same `episodeKey` fires; the
 * first update without it ends the episode, and the next occurrence is a new episode.
 *
 * Snooze and mute hold notifications back without ending episodes: an episode that is still going
 * on when the snooze ends (or its rule is unmuted) is notified then, once; one that ended in the
 * meantime is never notified. Pure: the clock comes in with each update.
 */
export class EpisodeTracker {
  private readonly state: EpisodeTrackerState;

  constructor(state?: EpisodeTrackerState) {
    this.state = state
      ? { episodes: structuredClone(state.episodes), snoozedUntil: state.snoozedUntil, muted: [...state.muted] }
      : { episodes: {}, muted: [] };
  }

  /** Feeds the verdicts of one evaluation; returns the notifications due now. */
  update(verdicts: readonly Verdict[], now: number): Notification[] {
    const firing = new Map<string, Verdict>();
    for (const v of verdicts) if (!firing.has(v.episodeKey)) firing.set(v.episodeKey, v);
    const episodes = this.state.episodes;
    for (const key of Object.keys(episodes)) if (!firing.has(key)) delete episodes[key];

    const snoozed = this.state.snoozedUntil !== undefined && now < this.state.snoozedUntil;
    if (!snoozed) this.state.snoozedUntil = undefined;
    const notifications: Notification[] = [];
    for (const [key, verdict] of firing) {
      let episode = episodes[key];
      if (!episode) episodes[key] = episode = { rule: verdict.rule, since: now, lastSeen: now, notified: false };
      episode.lastSeen = now;
      if (episode.notified || snoozed || this.state.muted.includes(verdict.rule)) continue;
      episode.notified = true;
      notifications.push({ verdict, since: episode.since });
    }
    return notifications;
  }

  /** No notifications before `until` (epoch ms). */
  snooze(until: number): void {
    this.state.snoozedUntil = until;
  }

  unsnooze(): void {
    this.state.snoozedUntil = undefined;
  }

  mute(rule: RuleName): void {
    if (!this.state.muted.includes(rule)) this.state.muted.push(rule);
  }

  unmute(rule: RuleName): void {
    const i = this.state.muted.indexOf(rule);
    if (i >= 0) this.state.muted.splice(i, 1);
  }

  isMuted(rule: RuleName): boolean {
    return this.state.muted.includes(rule);
  }

  /** The keys of the episodes going on, oldest first. */
  openEpisodes(): string[] {
    return Object.entries(this.state.episodes)
      .sort((a, b) => a[1].since - b[1].since)
      .map(([key]) => key);
  }

  /** A copy of the state, to persist and later pass to the constructor. */
  toJSON(): EpisodeTrackerState {
    return { episodes: structuredClone(this.state.episodes), snoozedUntil: this.state.snoozedUntil, muted: [...this.state.muted] };
  }
}

/**
 * Whether a flag's notification is shown, or the flag is only kept (with the task, in the log, in
 * the meter's colour): a spent budget is the budget alert's to say when the alerts include 100%
 * (they go off in the same moment), so it is not said twice.
 */
export function toastsFlag(verdict: Pick<Verdict, 'rule' | 'severity'>, alertThresholds: readonly number[]): boolean {
  return !(verdict.rule === 'budgetProjection' && verdict.severity === 'error' && alertThresholds.includes(100));
}
