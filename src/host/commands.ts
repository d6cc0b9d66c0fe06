import * as vscode from 'vscode';
import { compactTokens, dollars } from '../core/report/format';
import { formatBudgetText, parseBudgetText } from '../core/tasks/budgetText';
import { OpenTaskExistsError, TaskStoreReadOnlyError } from '../core/tasks/taskStore';
import { TaskError, type Outcome, type Task } from '../core/tasks/task';
import type { Settings } from './config';
import { defineDone } from './defineDone';
import type { EngineService } from './engineService';
import { COMMANDS } from './ids';
import type { MeterController } from './meterController';
import type { TaskService } from './taskService';

export interface CommandDeps {
  readonly engine: EngineService;
  readonly tasks: TaskService;
  readonly meter: MeterController;
  readonly guard: { snooze(minutes: number): void };
  readonly stopHook: { enable(): Promise<boolean>; remove(reason: string): boolean };
  readonly log: vscode.LogOutputChannel;
  readonly settings: () => Settings;
  readonly showRecap: (taskId?: string) => void;
}

/** Registers every command; each is declared in package.json (a unit test checks both ways). */
export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const { tasks, meter, log } = deps;
  const guarded =
    (fn: (...args: unknown[]) => unknown) =>
    async (...args: unknown[]) => {
      try {
        return await fn(...args);
      } catch (error) {
        const message = error instanceof TaskError || error instanceof TaskStoreReadOnlyError ? error.message : `Agent Meter: ${(error as Error).message}`;
        log.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
        void vscode.window.showErrorMessage(message);
      }
    };
  const requireOpen = (): Task | undefined => {
    const task = tasks.openTask;
    if (!task) void vscode.window.showInformationMessage('Agent Meter: no task is open in this workspace. Start one with "Agent Meter: Start Task…".');
    return task;
  };

  const startTask = async () => {
    if (!vscode.workspace.workspaceFolders?.length) {
      void vscode.window.showWarningMessage('Agent Meter: open a folder first; a task counts the agent sessions of the open workspace folders.');
      return;
    }
    const open = tasks.openTask;
    if (open) {
      const pick = await vscode.window.showWarningMessage(`A task is already open here: "${open.goal}". Finish it before starting another?`, 'Finish Task…', 'Cancel');
      if (pick === 'Finish Task…') await vscode.commands.executeCommand(COMMANDS.finishTask);
      if (tasks.openTask) return;
    }
    const s = deps.settings();
    const defaults = { usd: s.budgetUsd, tokens: s.budgetTokens, minutes: s.budgetMinutes };
    const result = await defineDone(Object.fromEntries(Object.entries(defaults).filter(([, v]) => v !== undefined)));
    if (!result) return;
    try {
      const task = tasks.start(result);
      log.info(`Task started: "${task.goal}" (${formatBudgetText(task.budget)})`);
      void vscode.window.showInformationMessage(`Agent Meter: task started — ${task.goal}. Budget ${formatBudgetText(task.budget)}.`);
    } catch (error) {
      if (error instanceof OpenTaskExistsError) void vscode.window.showWarningMessage(`Another window started a task here first: "${error.open.goal}".`);
      else throw error;
    }
  };

  const finishTask = async () => {
    const task = requireOpen();
    if (!task) return;
    const outcomes: Array<vscode.QuickPickItem & { outcome: Outcome }> = [
      { label: '$(pass) Done', description: 'the done criteria are met', outcome: 'done' },
      { label: '$(circle-large-outline) Partly done', description: 'some criteria met', outcome: 'partly' },
      { label: '$(circle-slash) Abandoned', description: 'stopped without reaching done', outcome: 'abandoned' },
    ];
    const outcome = await vscode.window.showQuickPick(outcomes, { title: `Finish task: ${task.goal}`, placeHolder: 'How did it end?' });
    if (!outcome) return;
    const items = task.criteria.map((c, i) => ({ label: c.text, picked: outcome.outcome === 'done' || c.done, index: i }));
    const ticked = await vscode.window.showQuickPick(items, { title: 'Which done criteria were reached?', canPickMany: true });
    if (!ticked) return;
    const done = task.criteria.map((_, i) => ticked.some((t) => t.index === i));
    const finished = tasks.finish(task.id, outcome.outcome, done, meter.numbersOf(task));
    const n = finished.final!;
    log.info(`Task finished (${finished.outcome}): "${finished.goal}" — ${dollars(n.costUSD)}, ${compactTokens(n.totalTokens)} tokens`);
    const pick = await vscode.window.showInformationMessage(`Task finished: ${dollars(n.costUSD)}, ${compactTokens(n.totalTokens)} tokens.`, 'Open Recap');
    if (pick) deps.showRecap(finished.id);
  };

  const editBudget = async () => {
    const task = requireOpen();
    if (!task) return;
    const value = await vscode.window.showInputBox({
      title: `Budget for: ${task.goal}`,
      value: formatBudgetText(task.budget),
      prompt: 'Dollars, tokens and/or minutes, e.g. $10 · 500k tokens · 90 min',
      validateInput: (text) => {
        const parsed = parseBudgetText(text);
        return 'error' in parsed ? parsed.error : undefined;
      },
    });
    if (value === undefined) return;
    const parsed = parseBudgetText(value);
    if ('error' in parsed) return;
    tasks.editBudget(task.id, parsed.budget);
  };

  const pauseTask = () => {
    const task = requireOpen();
    if (task) tasks.pause(task.id);
  };
  const resumeTask = () => {
    const task = requireOpen();
    if (task) tasks.resume(task.id);
  };

  const snoozeAlerts = async () => {
    const pick = await vscode.window.showQuickPick(['15 minutes', '1 hour', '4 hours'], { title: 'Snooze Agent Meter alerts for…' });
    if (!pick) return;
    const minutes = pick.startsWith('15') ? 15 : pick.startsWith('1 ') ? 60 : 240;
    meter.snooze(minutes);
    deps.guard.snooze(minutes);
  };

  const showSessions = async () => {
    const sessions = meter.workspaceSessions().sort((a, b) => b.lastActivity - a.lastActivity);
    if (sessions.length === 0) {
      void vscode.window.showInformationMessage(`Agent Meter: no agent sessions for this workspace yet. Watching ${deps.engine.roots().join(', ')}.`);
      return;
    }
    const files = deps.engine.engine.scanner.fileStates();
    const pick = await vscode.window.showQuickPick(
      sessions.map((s) => ({
        label: `${s.agent} ${s.sessionId.slice(0, 8)}`,
        description: `${s.costUSD === null ? 'unpriced' : dollars(s.costUSD)}${s.unpricedModels.length && s.costUSD !== null ? '+' : ''} · ${compactTokens(s.totalTokens)} tokens · ${s.models.join(', ')}`,
        detail: `${new Date(s.firstActivity).toLocaleString()} → ${new Date(s.lastActivity).toLocaleString()}${s.cwd ? ` · ${s.cwd}` : ''}`,
        session: s,
      })),
      { title: 'Agent sessions in this workspace', placeHolder: 'Pick one to open its log', matchOnDescription: true, matchOnDetail: true },
    );
    if (!pick) return;
    const file = files.find((f) => f.agent === pick.session.agent && (f.parserState as { sessionId?: string } | undefined)?.sessionId === pick.session.sessionId);
    if (file) await vscode.window.showTextDocument(vscode.Uri.file(file.path), { preview: true });
  };

  const meterMenu = async () => {
    const task = tasks.openTask;
    const items: Array<vscode.QuickPickItem & { command: string }> = [];
    if (task) {
      items.push({ label: '$(check) Finish Task…', description: task.goal, command: COMMANDS.finishTask });
      items.push(task.status === 'paused' ? { label: '$(debug-start) Resume Task', command: COMMANDS.resumeTask } : { label: '$(debug-pause) Pause Task', command: COMMANDS.pauseTask });
      items.push({ label: '$(edit) Edit Budget…', description: formatBudgetText(task.budget), command: COMMANDS.editBudget });
    } else {
      items.push({ label: '$(target) Start Task…', description: 'define done and a budget before the agent starts', command: COMMANDS.startTask });
    }
    items.push(
      { label: '$(graph) Show Recap', command: COMMANDS.showRecap },
      { label: '$(bell-slash) Snooze Alerts', command: COMMANDS.snoozeAlerts },
      { label: '$(list-unordered) Show Sessions', command: COMMANDS.showSessions },
      { label: '$(output) Show Log', command: COMMANDS.showLog },
    );
    const pick = await vscode.window.showQuickPick(items, { title: 'Agent Meter', placeHolder: meter.current?.text.replace(/\$\([a-z-]+\)\s*/g, '') });
    if (pick) await vscode.commands.executeCommand(pick.command);
  };

  // Estimate Tokens registers its own two commands (host/estimateTokens.ts).
  const table: Record<Exclude<(typeof COMMANDS)[keyof typeof COMMANDS], typeof COMMANDS.estimateSelection | typeof COMMANDS.estimateFile>, (...args: unknown[]) => unknown> = {
    [COMMANDS.startTask]: startTask,
    [COMMANDS.finishTask]: finishTask,
    [COMMANDS.editBudget]: editBudget,
    [COMMANDS.pauseTask]: pauseTask,
    [COMMANDS.resumeTask]: resumeTask,
    [COMMANDS.showRecap]: (taskId?: unknown) => deps.showRecap(typeof taskId === 'string' ? taskId : undefined),
    [COMMANDS.showSessions]: showSessions,
    [COMMANDS.snoozeAlerts]: snoozeAlerts,
    [COMMANDS.showLog]: () => log.show(),
    [COMMANDS.rescan]: () => deps.engine.rescan(),
    [COMMANDS.meterMenu]: meterMenu,
    [COMMANDS.enableStopHook]: () => deps.stopHook.enable(),
    [COMMANDS.removeStopHook]: () => {
      if (!deps.stopHook.remove('removed by the user')) void vscode.window.showInformationMessage('Agent Meter: no stop hook is installed here.');
      else void vscode.window.showInformationMessage('Agent Meter: stop hook removed.');
    },
  };
  return Object.entries(table).map(([id, fn]) => vscode.commands.registerCommand(id, guarded(fn)));
}
