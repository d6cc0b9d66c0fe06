import { duration, MINUTE, type GuardContext } from '../context';
import type { ActivityEvent } from '../../sources/types';
import type { LedgerRecord } from '../../ledger/ledger';
import type { Verdict } from '../types';

/**
 * The task is open but no agent has written anything (no log event, no billed request) for
 * `idleMinutes`: suggest finishing or pausing it, so its clock and its budget stop running and
 * later unrelated work is not charged to it.
 */
export function idleTask(ctx: GuardContext): Verdict[] {
  const { settings, now, task, events, records } = ctx.input;
  if (!task) return [];
  let lastEvent: ActivityEvent | undefined;
  let lastRecord: LedgerRecord | undefined;
  for (const e of events) if (e.timestamp <= now && (!lastEvent || e.timestamp >= lastEvent.timestamp)) lastEvent = e;
  for (const r of records) if (r.timestamp <= now && (!lastRecord || r.timestamp >= lastRecord.timestamp)) lastRecord = r;
  const lastAt = Math.max(task.startedAt, lastEvent?.timestamp ?? -Infinity, lastRecord?.timestamp ?? -Infinity);
  const idle = now - lastAt;
  if (idle < settings.idleMinutes * MINUTE) return [];
  const quiet = lastEvent || lastRecord ? `no agent has written anything for ${duration(idle)}` : `no agent has started on it in ${duration(idle)}`;
  const message =
    task.openCriteria > 0
      ? `This task is open with ${task.openCriteria} done ${task.openCriteria === 1 ? 'criterion' : 'criteria'} left, but ${quiet}; finish it or pause it so its clock and budget stop running.`
      : `Every done criterion of this task is met and ${quiet}; finish the task.`;
  return [
    {
      rule: 'idleTask',
      severity: 'warning',
      episodeKey: ctx.key('idleTask', lastAt),
      message,
      evidence: { events: lastEvent ? [lastEvent] : [], records: lastRecord ? [lastRecord] : [] },
    },
  ];
}
