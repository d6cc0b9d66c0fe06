import * as vscode from 'vscode';
import { EpisodeTracker, toastsFlag, type EpisodeTrackerState } from '../core/guard/episodes';
import { evaluate } from '../core/guard/evaluate';
import { guardSettings } from '../core/guard/settings';
import type { GuardSettings, Verdict } from '../core/guard/types';
import { taskUsage } from '../core/tasks/attribution';
import { addFlag, muteRule, type Task } from '../core/tasks/task';
import type { ActivityEvent } from '../core/sources/types';
import type { EngineService } from './engineService';
import { COMMANDS } from './ids';
import { Disposable } from './lifecycle';
import type { MeterController } from './meterController';
import type { TaskService } from './taskService';

/** Workspace file events kept for the "burn without progress" rule: the last 5,000 are plenty. */
const FILE_EVENTS_KEPT = 5000;
const TRACKER_KEY = 'agentMeter.guardEpisodes';
/** Evidence kept with a flag in the task store: enough to show, small enough to keep the file light. */
const EVIDENCE_KEPT = 12;

/**
 * Runs the guard rules over the open task whenever the agent writes (and once when an idle
 * threshold would pass, not on a polling timer), raises one notification per episode with
 * actions, keeps every flag with the task for the recap, and tells the meter what is open.
 */
export class GuardService extends Disposable {
  private tracker = new EpisodeTracker();
  private trackerTask: string | undefined;
  private savedTracker = '';
  private readonly fileChanges: number[] = [];
  private open: Verdict[] = [];
  private idleTimer: NodeJS.Timeout | undefined;
  private checking = false;
  private readonly _onDidChange = this._register(new vscode.EventEmitter<void>());
  readonly onDidChange = this._onDidChange.event;

  constructor(
    private readonly engine: EngineService,
    private readonly tasks: TaskService,
    private readonly meter: MeterController,
    private readonly log: vscode.LogOutputChannel,
    private readonly settings: () => { readonly guard: Partial<GuardSettings>; readonly alertThresholds: readonly number[] },
    private readonly state?: vscode.Memento,
  ) {
    super();
    const watcher = this._register(vscode.workspace.createFileSystemWatcher('**/*'));
    const touched = (uri: vscode.Uri) => {
      if (/[\\/]\.git[\\/]/.test(uri.fsPath)) return;
      this.fileChanges.push(Date.now());
      if (this.fileChanges.length > FILE_EVENTS_KEPT) this.fileChanges.splice(0, this.fileChanges.length - FILE_EVENTS_KEPT);
    };
    this._register(watcher.onDidCreate(touched));
    this._register(watcher.onDidChange(touched));
    this._register(watcher.onDidDelete(touched));
    this._register(engine.onDidChange(() => this.check()));
    this._register(tasks.onDidChange(() => this.check()));
    this._register({ dispose: () => this.idleTimer && clearTimeout(this.idleTimer) });
  }

  /** Open flags, for the meter's colour. */
  get openFlags(): ReadonlyArray<{ severity: 'warning' | 'error'; message: string; rule: string }> {
    return this.open;
  }

  snooze(minutes: number): void {
    this.tracker.snooze(Date.now() + minutes * 60_000);
  }

  check(now = Date.now()): Verdict[] {
    // Keeping a flag writes the task store, whose change event would call back in here.
    if (this.checking) return this.open;
    this.checking = true;
    try {
      return this.checkNow(now);
    } finally {
      this.checking = false;
    }
  }

  private checkNow(now: number): Verdict[] {
    const task = this.tasks.openTask;
    if (!task || task.status !== 'active') {
      this.setOpen([]);
      return [];
    }
    if (this.trackerTask !== task.id) {
      // Episodes survive a window reload: one notification per episode, not per window start.
      this.tracker = new EpisodeTracker(this.state?.get<EpisodeTrackerState>(`${TRACKER_KEY}.${task.id}`));
      this.trackerTask = task.id;
    }
    const sessions = this.meter.workspaceSessions();
    const ledger = this.engine.engine.ledger;
    const { numbers, records } = taskUsage(task, sessions, (a, s) => ledger.sessionRecords(a, s), now);
    const events: ActivityEvent[] = [];
    for (const s of sessions) for (const e of this.engine.activity.events(s.agent, s.sessionId)) if (e.timestamp >= task.createdAt) events.push(e);
    events.sort((a, b) => a.timestamp - b.timestamp);
    this.log.trace(`Guard: ${sessions.length} sessions, ${events.length} events, ${records.length} records`);
    const settings = guardSettings(this.settings().guard);
    const verdicts = evaluate({
      now,
      events,
      records,
      fileChanges: this.fileChanges,
      task: { startedAt: task.createdAt, budget: task.budget, openCriteria: task.criteria.filter((c) => !c.done).length, spentUSD: numbers.costUSD ?? 0, spentTokens: numbers.totalTokens },
      settings,
      scope: task.id,
    }).filter((v) => !task.mutedRules.includes(v.rule));
    for (const n of this.tracker.update(verdicts, now)) this.raise(task, n.verdict, now);
    const saved = JSON.stringify(this.tracker.toJSON());
    if (saved !== this.savedTracker) {
      this.savedTracker = saved;
      void this.state?.update(`${TRACKER_KEY}.${task.id}`, JSON.parse(saved));
    }
    this.setOpen(verdicts);
    this.armIdle(task, events, records, settings.idleMinutes, now);
    return verdicts;
  }

  private setOpen(verdicts: Verdict[]): void {
    const before = this.open.map((v) => v.episodeKey).join();
    this.open = verdicts;
    if (before === verdicts.map((v) => v.episodeKey).join()) return;
    this.log.info(`Open flags: ${verdicts.length ? verdicts.map((v) => v.rule).join(', ') : 'none'}`);
    this._onDidChange.fire();
  }

  /** One timer, set for the moment the idle threshold would pass; re-armed by every write. */
  private armIdle(task: Task, events: ActivityEvent[], records: readonly { timestamp: number }[], idleMinutes: number, now: number): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const last = Math.max(task.createdAt, events.at(-1)?.timestamp ?? 0, records.at(-1)?.timestamp ?? 0);
    const due = last + idleMinutes * 60_000 + 1000 - now;
    if (due > 0 && due < 2 ** 31 - 1) this.idleTimer = setTimeout(() => this.check(), due);
  }

  private raise(task: Task, v: Verdict, now: number): void {
    const evidence = [...v.evidence.events.slice(-EVIDENCE_KEPT), ...v.evidence.records.slice(-EVIDENCE_KEPT).map((r) => ({ kind: 'request', timestamp: r.timestamp, model: r.model, tokens: r.totalTokens, costUSD: r.costUSD }))];
    try {
      this.tasks.update(task.id, (t) => addFlag(t, { rule: v.rule, severity: v.severity, at: now, message: v.message, evidence }));
    } catch (error) {
      this.log.warn(`Could not keep the flag with the task: ${(error as Error).message}`);
    }
    this.log.warn(`Flag ${v.rule} (${v.severity}): ${v.message}`);
    if (!toastsFlag(v, this.settings().alertThresholds)) return;
    const show = v.severity === 'error' ? vscode.window.showErrorMessage : vscode.window.showWarningMessage;
    // Short labels: VS Code gives a toast's buttons one row of a 450 px toast, and five longer ones
    // were cut to "Finis…". Finish ends the task; Mute silences this rule for this task.
    void show(`Agent Meter: ${v.message}`, 'Recap', 'Snooze 15m', 'Raise Budget', 'Finish', 'Mute').then((pick) => {
      if (pick === 'Recap') void vscode.commands.executeCommand(COMMANDS.showRecap, task.id);
      else if (pick === 'Snooze 15m') this.snooze(15);
      else if (pick === 'Raise Budget') void vscode.commands.executeCommand(COMMANDS.editBudget);
      else if (pick === 'Finish') void vscode.commands.executeCommand(COMMANDS.finishTask);
      else if (pick === 'Mute') this.tasks.update(task.id, (t) => muteRule(t, v.rule));
    });
  }
}
