import * as vscode from 'vscode';
import { meterView, type MeterInput, type MeterView } from '../core/meter/meterView';
import type { SessionSummary } from '../core/ledger/ledger';
import { budgetShare } from '../core/report/format';
import { alertsDue, budgetUse, burnRate, projectedExhaustion } from '../core/tasks/budget';
import { inWorkspace, taskNumbers, taskUsage, workspaceSpendToday } from '../core/tasks/attribution';
import type { Task, TaskNumbers } from '../core/tasks/task';
import type { Settings } from './config';
import type { EngineService } from './engineService';
import { COMMANDS } from './ids';
import { Disposable } from './lifecycle';
import type { StatusBar } from './statusBar';
import type { TaskService } from './taskService';

/** Latency samples kept for the benchmark: log line landed → status bar updated. */
const LATENCY_SAMPLES = 1000;

/**
 * Decides what the meter shows: recomputes the active task's (or today's) numbers when the engine
 * or the tasks change, renders them, and raises budget alerts once per threshold per task.
 * Event-driven only: no timer runs while nothing changes.
 */
export class MeterController extends Disposable {
  private view: MeterView | undefined;
  private readonly latencies: number[] = [];
  private snoozedUntil = 0;
  private fraction: number | undefined;
  private readonly _onDidUpdate = this._register(new vscode.EventEmitter<void>());
  /** Fires after each recomputation (the stop hook follows the budget share). */
  readonly onDidUpdate = this._onDidUpdate.event;
  private flags: () => ReadonlyArray<{ severity: 'warning' | 'error'; message: string }> = () => [];

  constructor(
    private readonly engine: EngineService,
    private readonly tasks: TaskService,
    private readonly statusBar: StatusBar,
    private settings: () => Settings,
    private readonly folders: () => string[],
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this._register(
      engine.onDidChange((change) => {
        this.update();
        if (change.firstEventAt) this.sample(performance.now() - change.firstEventAt);
      }),
    );
    this._register(tasks.onDidChange(() => this.update()));
  }

  /** The open task's budget share at the last update (1 = 100%), if measurable. */
  get budgetFraction(): number | undefined {
    return this.fraction;
  }

  /** The last rendered view (for tests and the menu). */
  get current(): MeterView | undefined {
    return this.view;
  }

  /** Milliseconds from a log event to a rendered meter, most recent last. */
  get latencySamples(): readonly number[] {
    return this.latencies;
  }

  /** Where open guard flags come from (they raise the meter's colour). */
  setFlagSource(source: () => ReadonlyArray<{ severity: 'warning' | 'error'; message: string }>): void {
    this.flags = source;
  }

  snooze(minutes: number): void {
    this.snoozedUntil = Date.now() + minutes * 60_000;
  }

  /** Sessions of this window's workspace folders. */
  workspaceSessions(): SessionSummary[] {
    const folders = this.folders();
    return this.engine.engine.ledger.summaries((_agent, _id, cwd) => inWorkspace(cwd, folders));
  }

  /** The numbers of a task right now (frozen numbers for a finished task). */
  numbersOf(task: Task, now = Date.now()): TaskNumbers {
    if (task.final) return task.final;
    const ledger = this.engine.engine.ledger;
    return taskNumbers(task, this.workspaceSessions(), (a, s) => ledger.sessionRecords(a, s), now);
  }

  update(): void {
    const now = Date.now();
    const settings = this.settings();
    const ledger = this.engine.engine.ledger;
    const sessions = this.workspaceSessions();
    const recordsOf = (a: SessionSummary['agent'], s: string) => ledger.sessionRecords(a, s);
    const task = this.tasks.openTask;
    let input: MeterInput;
    if (task) {
      const { numbers, records } = taskUsage(task, sessions, recordsOf, now);
      const use = budgetUse(task, numbers, now);
      const rate = burnRate(records, now, undefined, task);
      const projected = task.status === 'active' ? projectedExhaustion(task, numbers, rate, now) : undefined;
      input = {
        now,
        numbers: { ...numbers, sessions: numbers.sessions },
        task: {
          goal: task.goal,
          paused: task.status === 'paused',
          startedAt: task.createdAt,
          budget: task.budget,
          budgetFraction: use.fraction,
          remaining: use.remaining,
          burn: { usdPerHour: rate.usdPerHour, tokensPerHour: rate.tokensPerHour },
          projectedMs: projected,
          openCriteria: task.criteria.filter((c) => !c.done).length,
          activeMs: numbers.activeMs,
        },
        warningAt: settings.warningAt,
        errorAt: settings.errorAt,
        flags: this.flags(),
      };
      this.fraction = use.fraction;
      this.alerts(task, use.fraction, settings.alertThresholds);
    } else {
      const today = workspaceSpendToday(this.folders(), sessions, recordsOf, now);
      input = { now, numbers: today, warningAt: settings.warningAt, errorAt: settings.errorAt };
      this.fraction = undefined;
    }
    this.view = meterView(input);
    this.statusBar.render(this.view);
    this._onDidUpdate.fire();
  }

  private alerts(task: Task, fraction: number | undefined, thresholds: number[]): void {
    if (fraction === undefined) return;
    const due = alertsDue(task, fraction, thresholds);
    if (due.length === 0) return;
    let won: number[];
    try {
      won = this.tasks.claimAlerts(task.id, due);
    } catch (error) {
      this.log.warn(`Could not record budget alerts: ${(error as Error).message}`);
      return;
    }
    if (won.length === 0 || Date.now() < this.snoozedUntil) return;
    const top = Math.max(...won);
    // What is used now, not the threshold crossed: an edit of the budget can jump past several.
    const message = `Agent Meter: the task "${task.goal}" has used ${budgetShare(fraction)} of its budget.`;
    const show = top >= 100 ? vscode.window.showErrorMessage : vscode.window.showWarningMessage;
    // The same words as a flag's notification (GuardService.raise); Snooze… asks for how long.
    void show(message, 'Recap', 'Raise Budget', 'Finish', 'Snooze…').then((pick) => {
      if (pick === 'Recap') void vscode.commands.executeCommand(COMMANDS.showRecap);
      else if (pick === 'Raise Budget') void vscode.commands.executeCommand(COMMANDS.editBudget);
      else if (pick === 'Finish') void vscode.commands.executeCommand(COMMANDS.finishTask);
      else if (pick === 'Snooze…') void vscode.commands.executeCommand(COMMANDS.snoozeAlerts);
    });
  }

  private sample(ms: number): void {
    this.latencies.push(ms);
    if (this.latencies.length > LATENCY_SAMPLES) this.latencies.shift();
  }
}
