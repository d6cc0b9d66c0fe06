/**
 * The task list on disk: one versioned JSON file (`{ "version": 1, "tasks": [...] }`), validated
 * with zod when read and written atomically.
 *
 * Several VS Code windows may hold a store on the same file. Every mutation therefore re-reads the
 * file, applies its change to the task with that id, and writes the result at once, so one window's
 * change never erases another's. (Without a lock two writes can still race in the few milliseconds
 * between read and rename; the host also watches `path` and calls `reload()`.)
 *
 * Nothing the user wrote is destroyed: an unreadable file is renamed aside, invalid tasks are copied
 * aside before the file is rewritten without them, and a file from a newer Agent Meter is left
 * untouched while this store goes read-only.
 */
import { AGENT_ID_TUPLE } from '../sources/agentNames';
import { randomUUID } from 'node:crypto';
import fs = require('node:fs');
import path = require('node:path');
import { z } from 'zod';
import { writeFileAtomic } from '../util/atomicWrite';
import { folderSetKey } from './attribution';
import {
  budgetSchema,
  editBudget,
  finishTask,
  isOpen,
  markAlertsFired,
  pauseTask,
  resumeTask,
  startTask,
  TaskError,
  type Budget,
  type Flag,
  type Outcome,
  type Task,
  type TaskInput,
  type TaskNumbers,
} from './task';

/** The file format this code writes and understands. */
export const STORE_VERSION = 1;

export type StoreProblemKind = 'corrupt' | 'invalidTasks' | 'newerVersion' | 'unreadable' | 'unwritable';

/** Something the user should hear about; `message` is ready to show. */
export interface StoreProblem {
  readonly kind: StoreProblemKind;
  readonly message: string;
  /** Where the unreadable file or the invalid tasks were kept. */
  readonly keptAt?: string;
}

export interface TaskStoreOptions {
  /** Clock for the set-aside file names and the transitions; production callers omit it. */
  now?: () => number;
  /** New task ids; production callers omit it. */
  newId?: () => string;
  /** Folder comparison rules for "one open task per folder set"; production callers omit it. */
  platform?: NodeJS.Platform;
  /** Told of every problem, including those met while re-reading for a mutation. */
  onProblem?: (problem: StoreProblem) => void;
}

/** The result of (re)reading the file. */
export interface LoadResult {
  readonly tasks: readonly Task[];
  readonly problems: readonly StoreProblem[];
}

/** A mutation was refused because the store is read-only; `message` says why. */
export class TaskStoreReadOnlyError extends Error {
  override readonly name = 'TaskStoreReadOnlyError';
}

/** Starting a task while another is open for the same folders; the host turns it into a question. */
export class OpenTaskExistsError extends Error {
  override readonly name = 'OpenTaskExistsError';
  constructor(readonly open: Task) {
    super(`A task is already ${open.status} for this workspace: "${open.goal}". Finish it before starting another.`);
  }
}

/** No task with that id in the file (another window may have removed it). */
export class TaskNotFoundError extends Error {
  override readonly name = 'TaskNotFoundError';
  constructor(readonly id: string) {
    super(`Agent Meter: the task ${id} is no longer in the task store.`);
  }
}

const count = z.number().finite().nonnegative();
const epoch = z.number().finite();

const totalsShape = {
  inputTokens: count,
  outputTokens: count,
  cacheCreationTokens: count,
  cacheWrite5mTokens: count,
  cacheWrite1hTokens: count,
  cacheReadTokens: count,
  reasoningOutputTokens: count,
  totalTokens: count,
  costUSD: z.number().finite().nullable(),
  requests: count,
};
const totalsSchema = z.looseObject(totalsShape);

const numbersSchema = z.looseObject({
  ...totalsShape,
  byModel: z.array(z.looseObject({ ...totalsShape, model: z.string(), priced: z.boolean() })),
  sessions: z.array(
    z.looseObject({ agent: z.enum(AGENT_ID_TUPLE), sessionId: z.string(), firstActivity: epoch, lastActivity: epoch, totals: totalsSchema }),
  ),
  unpricedModels: z.array(z.string()),
  firstActivity: epoch.optional(),
  lastActivity: epoch.optional(),
  activeMs: count,
}) satisfies z.ZodType<TaskNumbers>;

const flagSchema = z.looseObject({
  rule: z.string(),
  severity: z.enum(['warning', 'error']),
  at: epoch,
  message: z.string(),
  evidence: z.array(z.unknown()),
}) satisfies z.ZodType<Flag>;

/**
 * A stored task. Objects are loose: fields added by a later release of format 1 survive a
 * read-modify-write by this one.
 */
const storedTaskSchema = z
  .looseObject({
    id: z.string().min(1),
    workspaceFolders: z.array(z.string().min(1)).min(1),
    goal: z.string().min(1),
    criteria: z.array(z.looseObject({ text: z.string(), done: z.boolean() })).min(1),
    budget: budgetSchema,
    createdAt: epoch,
    status: z.enum(['active', 'paused', 'finished']),
    pauses: z.array(z.looseObject({ from: epoch, to: epoch.optional() })),
    endedAt: epoch.optional(),
    outcome: z.enum(['done', 'partly', 'abandoned']).optional(),
    alertsFired: z.array(z.number().finite()),
    flags: z.array(flagSchema),
    mutedRules: z.array(z.string()),
    final: numbersSchema.optional(),
  })
  .refine((t) => t.status !== 'finished' || (t.endedAt !== undefined && t.outcome !== undefined), 'a finished task needs endedAt and outcome')
  .refine((t) => t.pauses.every((p, i) => p.to !== undefined || (i === t.pauses.length - 1 && t.status === 'paused')), 'only the last pause of a paused task may be open') satisfies z.ZodType<Task>;

const fileSchema = z.looseObject({ version: z.number().int().positive(), tasks: z.array(z.unknown()) });

interface ReadOutcome {
  tasks: Task[];
  /** Top-level fields besides version and tasks, kept on rewrite. */
  extra: Record<string, unknown>;
  problems: StoreProblem[];
  /** Invalid tasks were set aside: the file should be rewritten without them. */
  rewrite: boolean;
  /** Why the store cannot be written, when it cannot. */
  readOnly?: string;
}

type ParsedStore =
  | { kind: 'ok'; tasks: Task[]; invalid: Array<{ task: unknown; problem: string }>; extra: Record<string, unknown> }
  | { kind: 'corrupt' }
  | { kind: 'newer'; version: number };

/** A store file's text, validated: its tasks, the invalid ones with why, or what is wrong with it. */
function parseStoreText(text: string): ParsedStore {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'corrupt' };
  }
  const version = typeof json === 'object' && json !== null ? (json as { version?: unknown }).version : undefined;
  if (typeof version === 'number' && Number.isInteger(version) && version > STORE_VERSION) return { kind: 'newer', version };
  const file = fileSchema.safeParse(json);
  if (!file.success || file.data.version !== STORE_VERSION) return { kind: 'corrupt' };
  const { version: _v, tasks: rawTasks, ...extra } = file.data;
  const tasks: Task[] = [];
  const invalid: Array<{ task: unknown; problem: string }> = [];
  const ids = new Set<string>();
  for (const raw of rawTasks) {
    const parsed = storedTaskSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      invalid.push({ task: raw, problem: issue ? `${issue.path.join('.') || '(task)'}: ${issue.message}` : 'invalid' });
    } else if (ids.has(parsed.data.id)) {
      invalid.push({ task: raw, problem: `duplicate id ${parsed.data.id}` });
    } else {
      ids.add(parsed.data.id);
      tasks.push(parsed.data as Task);
    }
  }
  return { kind: 'ok', tasks, invalid, extra };
}

/**
 * The valid tasks of a store file, for a reader that must never write it (the CLI): nothing is
 * set aside or rewritten, and a missing, unreadable, corrupt or newer file gives no tasks.
 */
export function readTasksReadOnly(file: string): Task[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const parsed = parseStoreText(text);
  return parsed.kind === 'ok' ? parsed.tasks : [];
}

/** The task list in one JSON file, safe to share between windows. */
export class TaskStore {
  private snapshot: Task[] = [];
  private loaded = false;
  private readOnlyReason: string | undefined;
  private lastProblems: StoreProblem[] = [];
  private reportedReadOnly: string | undefined;
  private readonly now: () => number;
  private readonly newId: () => string;
  private readonly platform: NodeJS.Platform;

  /** @param path The store file, e.g. `<globalStorage>/tasks.json`; the host watches it. */
  constructor(
    readonly path: string,
    private readonly options: TaskStoreOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.newId = options.newId ?? randomUUID;
    this.platform = options.platform ?? process.platform;
  }

  /** The tasks as last read or written (read on first use). */
  get tasks(): readonly Task[] {
    if (!this.loaded) this.reload();
    return this.snapshot;
  }

  /** Whether mutations are refused (a newer format, or a file that cannot be read or moved). */
  get readOnly(): boolean {
    if (!this.loaded) this.reload();
    return this.readOnlyReason !== undefined;
  }

  /** Why the store is read-only, ready to show; undefined when it is writable. */
  get readOnlyMessage(): string | undefined {
    return this.readOnlyReason;
  }

  /** Problems met by the last read. */
  get problems(): readonly StoreProblem[] {
    return this.lastProblems;
  }

  /** Re-reads the file (after a change by another window, or at start). */
  reload(): LoadResult {
    const read = this.read();
    if (read.rewrite && read.readOnly === undefined) this.tryWrite(read);
    this.report(read.problems);
    return { tasks: this.snapshot, problems: read.problems };
  }

  /** The task with that id, as last read. */
  get(id: string): Task | undefined {
    return this.tasks.find((t) => t.id === id);
  }

  /** The active or paused task of this set of workspace folders, as last read. */
  openTask(folders: readonly string[]): Task | undefined {
    const key = folderSetKey(folders, this.platform);
    return this.tasks.find((t) => isOpen(t) && folderSetKey(t.workspaceFolders, this.platform) === key);
  }

  /**
   * Starts a task. Throws OpenTaskExistsError when the same folders already have an open task (in
   * the latest file, whichever window started it), TaskError on invalid input.
   */
  start(input: TaskInput): Task {
    return this.mutate((tasks) => {
      const task = startTask(input, this.now(), this.newId());
      const key = folderSetKey(task.workspaceFolders, this.platform);
      const open = tasks.find((t) => isOpen(t) && folderSetKey(t.workspaceFolders, this.platform) === key);
      if (open) throw new OpenTaskExistsError(open);
      return { tasks: [...tasks, task], result: task };
    });
  }

  pause(id: string): Task {
    return this.update(id, (t) => pauseTask(t, this.now()));
  }

  resume(id: string): Task {
    return this.update(id, (t) => resumeTask(t, this.now()));
  }

  /** Finishes the task, freezing `numbers` (computed by the caller at about the same instant). */
  finish(id: string, outcome: Outcome, criteriaDone: readonly boolean[], numbers: TaskNumbers): Task {
    return this.update(id, (t) => finishTask(t, outcome, criteriaDone, numbers, this.now()));
  }

  /** Replaces the budget; see `editBudget` for `fraction` (the use under the new budget). */
  editBudget(id: string, budget: Budget, fraction?: number): Task {
    return this.update(id, (t) => editBudget(t, budget, fraction));
  }

  /**
   * Marks budget alerts fired and returns those this call fired first. Two windows that both see
   * 80% reached both ask; only the first gets [80] back, so the user is told once.
   */
  claimAlerts(id: string, thresholds: readonly number[]): number[] {
    let claimed: number[] = [];
    this.update(id, (t) => {
      claimed = thresholds.filter((x, i) => !t.alertsFired.includes(x) && thresholds.indexOf(x) === i);
      return markAlertsFired(t, claimed);
    });
    return claimed;
  }

  /** Applies a pure change to the latest stored copy of the task and writes it. */
  update(id: string, change: (task: Task) => Task): Task {
    return this.mutate((tasks) => {
      const i = tasks.findIndex((t) => t.id === id);
      if (i < 0) throw new TaskNotFoundError(id);
      const next = change(tasks[i]);
      if (next.id !== id) throw new TaskError('A task change cannot change the task id.');
      const out = [...tasks];
      out[i] = next;
      return { tasks: out, result: next };
    });
  }

  /** Deletes a task (e.g. from the recap history). Removing a missing task is a no-op. */
  remove(id: string): void {
    this.mutate((tasks) => ({ tasks: tasks.filter((t) => t.id !== id), result: undefined }));
  }

  private mutate<T>(change: (tasks: Task[]) => { tasks: Task[]; result: T }): T {
    const read = this.read();
    if (read.readOnly !== undefined) {
      this.report(read.problems);
      throw new TaskStoreReadOnlyError(read.readOnly);
    }
    let changed: { tasks: Task[]; result: T };
    try {
      changed = change(read.tasks);
    } catch (error) {
      // The invalid tasks are already kept aside: drop them from the file even if the change failed.
      if (read.rewrite) this.tryWrite(read);
      this.report(read.problems);
      throw error;
    }
    this.report(read.problems);
    this.write(changed.tasks, read.extra);
    return changed.result;
  }

  /** Rewrites the file after setting invalid tasks aside; a failure is a problem, not an exception. */
  private tryWrite(read: ReadOutcome): void {
    try {
      this.write(read.tasks, read.extra);
    } catch (error) {
      read.problems.push({ kind: 'unwritable', message: (error as Error).message });
    }
  }

  /** Reads and validates the file, setting aside what cannot be used; updates the snapshot. */
  private read(): ReadOutcome {
    const out: ReadOutcome = { tasks: [], extra: {}, problems: [], rewrite: false };
    this.loaded = true;
    let text: string;
    try {
      text = fs.readFileSync(this.path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') {
        out.readOnly = `Agent Meter: could not read the task store ${this.path} (${code ?? String(error)}); tasks are read-only until it can be read.`;
        out.problems.push({ kind: 'unreadable', message: out.readOnly });
      }
      return this.settle(out);
    }

    const parsed = parseStoreText(text);
    if (parsed.kind === 'corrupt') return this.settle(this.keepCorruptAside(out));
    if (parsed.kind === 'newer') {
      out.readOnly = `Agent Meter: the task store ${this.path} was written by a newer Agent Meter (format ${parsed.version}); tasks are read-only until you update the extension.`;
      out.problems.push({ kind: 'newerVersion', message: out.readOnly });
      return this.settle(out);
    }
    out.extra = parsed.extra;
    out.tasks.push(...parsed.tasks);
    const { invalid } = parsed;
    if (invalid.length > 0) this.keepInvalidAside(out, invalid);
    return this.settle(out);
  }

  /** Moves the unusable file aside (renamed, never deleted) and starts from an empty list. */
  private keepCorruptAside(out: ReadOutcome): ReadOutcome {
    try {
      const aside = this.asidePath();
      fs.renameSync(this.path, aside);
      out.problems.push({
        kind: 'corrupt',
        keptAt: aside,
        message: `Agent Meter: the task store was unreadable and was kept at ${aside}; starting with an empty list.`,
      });
    } catch (error) {
      out.readOnly = `Agent Meter: the task store ${this.path} is unreadable and could not be moved aside (${(error as NodeJS.ErrnoException).code ?? String(error)}); tasks are read-only.`;
      out.problems.push({ kind: 'unreadable', message: out.readOnly });
    }
    return out;
  }

  /** Copies invalid tasks to a new file next to the store; only then may the store drop them. */
  private keepInvalidAside(out: ReadOutcome, invalid: Array<{ task: unknown; problem: string }>): void {
    const body = `${JSON.stringify({ version: STORE_VERSION, keptAt: new Date(this.now()).toISOString(), problems: invalid.map((x) => x.problem), tasks: invalid.map((x) => x.task) }, null, 2)}\n`;
    for (let attempt = 0; ; attempt++) {
      const aside = this.asidePath();
      try {
        // `wx`: fail rather than overwrite an earlier aside file.
        fs.writeFileSync(aside, body, { flag: 'wx', mode: 0o600 });
        const n = invalid.length;
        out.problems.push({
          kind: 'invalidTasks',
          keptAt: aside,
          message: `Agent Meter: ${n} ${n === 1 ? 'task' : 'tasks'} in the task store ${n === 1 ? 'was' : 'were'} invalid and ${n === 1 ? 'was' : 'were'} kept at ${aside}; the other tasks are unaffected.`,
        });
        out.rewrite = true;
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST' && attempt < 100) continue;
        // The invalid tasks are still only in the store file: writing it would lose them.
        out.readOnly = `Agent Meter: some tasks in ${this.path} are invalid and could not be kept aside (${(error as NodeJS.ErrnoException).code ?? String(error)}); tasks are read-only.`;
        out.problems.push({ kind: 'unwritable', message: out.readOnly });
        return;
      }
    }
  }

  /** `tasks.corrupt-<timestamp>.json` next to the store, with a counter if that name is taken. */
  private asidePath(): string {
    const ext = path.extname(this.path) || '.json';
    const base = path.basename(this.path, path.extname(this.path));
    const stamp = new Date(this.now()).toISOString().replace(/[:.]/g, '-');
    const dir = path.dirname(this.path);
    for (let n = 1; ; n++) {
      const candidate = path.join(dir, `${base}.corrupt-${stamp}${n === 1 ? '' : `-${n}`}${ext}`);
      if (!fs.existsSync(candidate)) return candidate;
    }
  }

  private settle(out: ReadOutcome): ReadOutcome {
    this.snapshot = out.tasks;
    this.readOnlyReason = out.readOnly;
    if (out.readOnly === undefined) this.reportedReadOnly = undefined;
    this.lastProblems = out.problems;
    return out;
  }

  private write(tasks: Task[], extra: Record<string, unknown>): void {
    try {
      writeFileAtomic(this.path, `${JSON.stringify({ ...extra, version: STORE_VERSION, tasks }, null, 2)}\n`);
    } catch (error) {
      const message = `Agent Meter: could not save the task store ${this.path} (${(error as NodeJS.ErrnoException).code ?? String(error)}).`;
      throw new Error(message, { cause: error });
    }
    this.snapshot = tasks;
  }

  /**
   * Tells the host. A read-only condition is told once until it clears: the host reloads on every
   * change of the file, and a newer window writing every few seconds must not mean a toast each time.
   */
  private report(problems: readonly StoreProblem[]): void {
    for (const p of problems) {
      const lasting = p.kind === 'newerVersion' || p.kind === 'unreadable';
      if (lasting && p.message === this.reportedReadOnly) continue;
      if (lasting) this.reportedReadOnly = p.message;
      this.options.onProblem?.(p);
    }
  }
}
