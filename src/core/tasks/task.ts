/**
 * The task model: what the user declares before an agent works (a goal, done criteria, a budget),
 * and the pure transitions of its life (start, pause, resume, finish, edit the budget). The clock is
 * a parameter everywhere, so a test states the time instead of waiting for it.
 *
 * Input validation lives here as zod schemas, exported so the host's input boxes show the same
 * messages the store enforces.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { ModelTotals, Totals } from '../ledger/ledger';
import type { AgentId } from '../sources/types';

/** Limits of a task. At least one is set; each is finite and > 0. */
export interface Budget {
  usd?: number;
  tokens?: number;
  /** Active (unpaused) wall-clock minutes. */
  minutes?: number;
}

export interface Criterion {
  text: string;
  done: boolean;
}

export type TaskStatus = 'active' | 'paused' | 'finished';
export type Outcome = 'done' | 'partly' | 'abandoned';

/**
 * A guard's finding kept for the recap. Deliberately generic: the guard owns the rules and their
 * evidence; the task only keeps what was flagged, when, and how bad it was.
 */
export interface Flag {
  rule: string;
  severity: 'warning' | 'error';
  /** Epoch ms. */
  at: number;
  message: string;
  evidence: unknown[];
}

/** Per-session share of a task's usage. */
export interface SessionShare {
  agent: AgentId;
  sessionId: string;
  /** Epoch ms of the session's first and last record inside the task (or the day). */
  firstActivity: number;
  lastActivity: number;
  totals: Totals;
}

/** Usage of a set of records: totals, split by model and by session. */
export interface UsageNumbers extends Totals {
  byModel: ModelTotals[];
  sessions: SessionShare[];
  /** Models with at least one request that could not be priced: `costUSD` is then a lower bound. */
  unpricedModels: string[];
  /** Epoch ms of the first and last record; absent when there is none. */
  firstActivity?: number;
  lastActivity?: number;
}

/** A task's numbers: its usage plus the active (unpaused) time it has run. */
export interface TaskNumbers extends UsageNumbers {
  activeMs: number;
}

export interface Task {
  id: string;
  /** The workspace folders (absolute paths) whose agent sessions count towards the task. */
  workspaceFolders: string[];
  goal: string;
  criteria: Criterion[];
  budget: Budget;
  /** Epoch ms. */
  createdAt: number;
  status: TaskStatus;
  /** Paused intervals, oldest first; only the last may be open (`to` absent) and only while paused. */
  pauses: Array<{ from: number; to?: number }>;
  endedAt?: number;
  outcome?: Outcome;
  /** Budget thresholds (percent) already alerted; each fires once per task. */
  alertsFired: number[];
  /** Guard flags kept for the recap. */
  flags: Flag[];
  /** Guard rules the user silenced for this task. */
  mutedRules: string[];
  /** Numbers frozen at finish, so a finished task keeps them even if the logs vanish. */
  final?: TaskNumbers;
}

/** What the user types to start a task. */
export interface TaskInput {
  workspaceFolders: string[];
  goal: string;
  /** Criterion texts; each starts not done. */
  criteria: string[];
  budget: Budget;
}

/** 200 characters: a goal is a one-line headline for the status bar tooltip and the recap title. */
export const MAX_GOAL_LENGTH = 200;
/** 20 criteria: a checklist longer than a screen is a plan, not a definition of done. */
export const MAX_CRITERIA = 20;
/** 500 characters per criterion: room for a precise check, short enough for a QuickPick row. */
export const MAX_CRITERION_LENGTH = 500;
/**
 * 200 flags per task: a runaway loop flagged every minute for three hours stays whole; beyond that
 * the recap keeps the latest and the store stays small (each flag is ~300 bytes with evidence).
 */
export const MAX_FLAGS = 200;

const oneLine = /^[^\r\n]*$/;

/** The goal: one line, 1..200 characters after trimming. */
export const goalSchema = z
  .string({ error: 'The goal must be text.' })
  .trim()
  .regex(oneLine, 'Keep the goal to one line.')
  .min(1, 'Describe the goal in one line.')
  .max(MAX_GOAL_LENGTH, `Keep the goal under ${MAX_GOAL_LENGTH} characters.`);

/** One done criterion's text: one line, not empty. */
export const criterionTextSchema = z
  .string({ error: 'A criterion must be text.' })
  .trim()
  .regex(oneLine, 'Keep each criterion to one line.')
  .min(1, 'A done criterion cannot be empty.')
  .max(MAX_CRITERION_LENGTH, `Keep each criterion under ${MAX_CRITERION_LENGTH} characters.`);

/** 1..20 criteria. */
export const criteriaSchema = z
  .array(criterionTextSchema)
  .min(1, 'Add at least one done criterion: how will you know the task is done?')
  .max(MAX_CRITERIA, `Keep it to ${MAX_CRITERIA} done criteria or fewer.`);

const amount = (what: string) =>
  z.number({ error: `The ${what} must be a number.` }).refine((n) => Number.isFinite(n) && n > 0, `The ${what} must be greater than 0.`);

/** A budget: dollars, tokens and/or active minutes, at least one, each finite and > 0. */
export const budgetSchema = z
  .object({
    usd: amount('dollar budget').optional(),
    tokens: amount('token budget').optional(),
    minutes: amount('time budget').optional(),
  })
  .strict()
  .refine((b) => b.usd !== undefined || b.tokens !== undefined || b.minutes !== undefined, 'Set a budget in dollars, tokens or minutes.') satisfies z.ZodType<Budget>;

/** At least one absolute folder path. */
export const workspaceFoldersSchema = z
  .array(z.string().trim().min(1, 'A workspace folder path cannot be empty.'))
  .min(1, 'Open a folder first: a task is attached to the workspace folders its agents work in.');

/** Everything needed to start a task. */
export const taskInputSchema = z.object({
  workspaceFolders: workspaceFoldersSchema,
  goal: goalSchema,
  criteria: criteriaSchema,
  budget: budgetSchema,
}) satisfies z.ZodType<TaskInput>;

/** Thrown by the transitions on invalid input or an impossible change; `message` is for the user. */
export class TaskError extends Error {
  override readonly name = 'TaskError';
}

/** The first issue of a failed parse, as one sentence for the user ("Criterion 3: …"). */
export function issueMessage(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'Invalid input.';
  const [head, index] = issue.path;
  if (head === 'criteria' && typeof index === 'number') return `Criterion ${index + 1}: ${issue.message}`;
  return issue.message;
}

/** Validates and normalises (trims) a task input; throws TaskError with the first problem. */
export function parseTaskInput(input: unknown): TaskInput {
  const result = taskInputSchema.safeParse(input);
  if (!result.success) throw new TaskError(issueMessage(result.error));
  return result.data;
}

/** For an input box's `validateInput`: the message, or undefined when the text is a valid goal. */
export function validateGoal(text: string): string | undefined {
  const r = goalSchema.safeParse(text);
  return r.success ? undefined : issueMessage(r.error);
}

/** For an input box's `validateInput`: the message, or undefined when the text is a valid criterion. */
export function validateCriterion(text: string): string | undefined {
  const r = criterionTextSchema.safeParse(text);
  return r.success ? undefined : issueMessage(r.error);
}

/**
 * Reads an amount as typed in an input box: `5`, `$5`, `2.50`, `1,000,000`, `200k`, `1.5M`.
 * Returns undefined for anything else (including 0 and negatives), so the box can say so.
 */
export function parseAmount(text: string): number | undefined {
  const m = /^\s*\$?\s*([0-9][0-9,_]*(?:\.[0-9]+)?|\.[0-9]+)\s*([kKmM])?\s*$/.exec(text);
  if (!m) return undefined;
  const n = Number(m[1].replace(/[,_]/g, '')) * (m[2] === undefined ? 1 : /k/i.test(m[2]) ? 1e3 : 1e6);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** Starts a task at `now`. Throws TaskError when the input is invalid. */
export function startTask(input: TaskInput, now: number, id: string = randomUUID()): Task {
  const valid = parseTaskInput(input);
  return {
    id,
    workspaceFolders: valid.workspaceFolders,
    goal: valid.goal,
    criteria: valid.criteria.map((text) => ({ text, done: false })),
    budget: { ...valid.budget },
    createdAt: now,
    status: 'active',
    pauses: [],
    alertsFired: [],
    flags: [],
    mutedRules: [],
  };
}

/**
 * Pauses an active task. Pausing a paused task returns it unchanged: two windows may both ask,
 * and the second should not fail. A finished task cannot be paused.
 */
export function pauseTask(task: Task, now: number): Task {
  if (task.status === 'finished') throw new TaskError('This task is finished; it cannot be paused.');
  if (task.status === 'paused') return task;
  return { ...task, status: 'paused', pauses: [...task.pauses, { from: Math.max(now, task.createdAt) }] };
}

/** Resumes a paused task (closing its open pause at `now`). Resuming an active task is a no-op. */
export function resumeTask(task: Task, now: number): Task {
  if (task.status === 'finished') throw new TaskError('This task is finished; start a new task instead.');
  if (task.status === 'active') return task;
  return { ...task, status: 'active', pauses: closePauses(task.pauses, now) };
}

/**
 * Finishes an active or paused task: records the outcome, which criteria were met (one boolean per
 * criterion, in order) and the numbers computed at `now`, which stay with the task from then on.
 */
export function finishTask(task: Task, outcome: Outcome, criteriaDone: readonly boolean[], numbers: TaskNumbers, now: number): Task {
  if (task.status === 'finished') throw new TaskError('This task is already finished.');
  if (criteriaDone.length !== task.criteria.length) {
    throw new TaskError(`Expected ${task.criteria.length} criteria answers, got ${criteriaDone.length}.`);
  }
  const endedAt = Math.max(now, task.createdAt);
  return {
    ...task,
    status: 'finished',
    endedAt,
    outcome,
    pauses: closePauses(task.pauses, endedAt),
    criteria: task.criteria.map((c, i) => ({ text: c.text, done: criteriaDone[i] })),
    final: numbers,
  };
}

/**
 * Replaces the budget. With the task's current budget fraction under the new budget (`fraction`,
 * from `budgetUse`), the alerts the task is still past stay fired and the others can fire again:
 * raising $5 to $10 at $4.50 spent re-arms the 80% and 100% alerts but does not repeat the 50% one.
 */
export function editBudget(task: Task, budget: Budget, fraction?: number): Task {
  if (task.status === 'finished') throw new TaskError('This task is finished; its budget can no longer change.');
  const parsed = budgetSchema.safeParse(budget);
  if (!parsed.success) throw new TaskError(issueMessage(parsed.error));
  const alertsFired = fraction === undefined ? task.alertsFired : task.alertsFired.filter((t) => reached(fraction, t));
  return { ...task, budget: { ...parsed.data }, alertsFired };
}

/** Adds thresholds to the task's fired alerts (sorted, once each). */
export function markAlertsFired(task: Task, thresholds: readonly number[]): Task {
  const fired = [...new Set([...task.alertsFired, ...thresholds])].sort((a, b) => a - b);
  return fired.length === task.alertsFired.length ? task : { ...task, alertsFired: fired };
}

/** Keeps a guard flag for the recap (the latest MAX_FLAGS are kept). */
export function addFlag(task: Task, flag: Flag): Task {
  return { ...task, flags: [...task.flags, flag].slice(-MAX_FLAGS) };
}

/** Silences a guard rule for this task. */
export function muteRule(task: Task, rule: string): Task {
  return task.mutedRules.includes(rule) ? task : { ...task, mutedRules: [...task.mutedRules, rule] };
}

/** Whether the task still counts usage (active or paused, i.e. not finished). */
export function isOpen(task: Task): boolean {
  return task.status !== 'finished';
}

/**
 * The half-open intervals `[from, to)` (epoch ms) in which the task counts usage: from its start to
 * its end (Infinity while open), minus pauses (an open pause runs to Infinity). Sorted, disjoint.
 * A record at the instant of a pause is paused; one at the instant of the resume counts.
 */
export function taskWindows(task: Task): Array<[number, number]> {
  const end = task.endedAt ?? Infinity;
  const pauses = task.pauses.map((p): [number, number] => [p.from, p.to ?? Infinity]).sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  let from = task.createdAt;
  for (const [pFrom, pTo] of pauses) {
    if (from >= end) break;
    if (pTo <= from) continue;
    if (pFrom > from) out.push([from, Math.min(pFrom, end)]);
    from = Math.max(from, pTo);
  }
  if (from < end) out.push([from, end]);
  return out;
}

/** Active (unpaused) milliseconds from the task's start up to `now` (or its end). */
export function activeMs(task: Task, now: number): number {
  let ms = 0;
  for (const [from, to] of taskWindows(task)) ms += Math.max(0, Math.min(to, now) - from);
  return ms;
}

/** Whether `fraction` (1 = 100%) has reached `percent`; tolerant of float noise (0.8 * 100). */
export function reached(fraction: number, percent: number): boolean {
  return fraction * 100 >= percent - 1e-9;
}

function closePauses(pauses: Task['pauses'], at: number): Task['pauses'] {
  return pauses.map((p) => (p.to === undefined ? { from: p.from, to: Math.max(at, p.from) } : p));
}
