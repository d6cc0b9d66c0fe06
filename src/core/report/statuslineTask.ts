import type { SessionSummary } from '../ledger/ledger';
import { currentNumbers, isInside, type RecordsOf } from '../tasks/attribution';
import { budgetUse } from '../tasks/budget';
import { activeMs, isOpen, type Task } from '../tasks/task';
import { readTasksReadOnly } from '../tasks/taskStore';
import type { StatuslineTask } from './statusline';

/**
 * The open task the statusline shows, from the extension's task stores (see taskStores). This
 * module loads zod (the store's validation): the CLI requires it only when a store exists.
 */

/** The newest open (active or paused) task whose workspace folders hold `folder`, across the stores. */
export function openTaskFor(folder: string, stores: readonly string[], platform: NodeJS.Platform = process.platform): Task | undefined {
  let found: Task | undefined;
  for (const store of stores) {
    for (const task of readTasksReadOnly(store)) {
      if (!isOpen(task) || !task.workspaceFolders.some((f) => isInside(folder, f, platform))) continue;
      if (!found || task.createdAt > found.createdAt) found = task;
    }
  }
  return found;
}

/** What the task has used of its budget, by the same attribution the editor's status bar uses. */
export function statuslineTask(task: Task, sessions: readonly SessionSummary[], recordsOf: RecordsOf, now: number): StatuslineTask {
  const numbers = currentNumbers(task, sessions, recordsOf, now);
  const use = budgetUse(task, numbers, now);
  // The kind closest to its limit is the one that ends the task first.
  const kinds = (['usd', 'tokens', 'minutes'] as const).filter((k) => use.byKind[k] !== undefined);
  const binding = kinds.sort((a, b) => use.byKind[b]! - use.byKind[a]!)[0];
  return {
    goal: task.goal,
    paused: task.status === 'paused',
    fraction: use.fraction,
    costUSD: numbers.costUSD,
    unpriced: numbers.unpricedModels.length > 0,
    totalTokens: numbers.totalTokens,
    activeMinutes: activeMs(task, now) / 60_000,
    budget: task.budget,
    binding,
  };
}
