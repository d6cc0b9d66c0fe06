/** Calendar days, shared by the status bar, the recap and the CLI (kept apart from the task model, which loads zod). */

export const DAY_MS = 86_400_000;

/** Epoch ms of the start of the local calendar day containing `now` (or of the day at a fixed UTC offset). */
export function startOfDay(now: number, utcOffsetMinutes?: number): number {
  if (utcOffsetMinutes === undefined) return new Date(now).setHours(0, 0, 0, 0);
  const shift = utcOffsetMinutes * 60_000;
  return Math.floor((now + shift) / DAY_MS) * DAY_MS - shift;
}

/** `2026-11-22 15:04`: the minute of `ms` in local time (or at a fixed UTC offset). */
export function localMinute(ms: number, utcOffsetMinutes = -new Date(ms).getTimezoneOffset()): string {
  return new Date(ms + utcOffsetMinutes * 60_000).toISOString().slice(0, 16).replace('T', ' ');
}
