import { createHash } from 'node:crypto';
import fs = require('node:fs');
import path = require('node:path');
import * as vscode from 'vscode';
import { HOOK_SCRIPT_NAME, hasHook, hookCommand, stopDecision, withHook, withoutHook, type StopState } from '../core/guard/stopHook';
import { writeFileAtomic } from '../core/util/atomicWrite';
import type { GuardService } from './guardService';
import { Disposable } from './lifecycle';
import type { MeterController } from './meterController';
import type { TaskService } from './taskService';

const INSTALLED_KEY = 'agentMeter.stopHookSettingsFile';
/** Flags that mean "looping": the hook stops those, not merely expensive work. */
const LOOP_RULES = new Set(['repeatedToolCycle', 'errorLoop']);

/**
 * The opt-in stop hook: with the user's consent, adds a PreToolUse hook to the workspace's
 * `.claude/settings.local.json` that denies Claude Code's tool calls once the task's hard budget is
 * crossed or a loop is flagged, keeps the state file it reads current, and removes the hook on
 * request or when the task ends.
 */
export class StopHookService extends Disposable {
  private lastState = '';

  constructor(
    private readonly extensionPath: string,
    private readonly storageDir: string,
    private readonly state: vscode.Memento,
    private readonly tasks: TaskService,
    private readonly meter: MeterController,
    private readonly guard: GuardService,
    private readonly log: vscode.LogOutputChannel,
    private readonly folders: () => string[],
  ) {
    super();
    this._register(tasks.onDidChange(() => this.sync()));
    this._register(guard.onDidChange(() => this.sync()));
    this._register(meter.onDidUpdate(() => this.sync()));
  }

  get settingsFile(): string | undefined {
    const folder = this.folders()[0];
    return folder ? path.join(folder, '.claude', 'settings.local.json') : undefined;
  }

  get stateFile(): string {
    const key = createHash('sha1').update(this.folders().join('\n')).digest('hex').slice(0, 12);
    return path.join(this.storageDir, 'stop-hook', `${key}.json`);
  }

  /** The command: explain exactly what changes, ask, then install. */
  async enable(): Promise<boolean> {
    const file = this.settingsFile;
    if (!file) {
      void vscode.window.showWarningMessage('Agent Meter: open a folder first; the stop hook is installed in its .claude/settings.local.json.');
      return false;
    }
    if (!this.tasks.openTask) {
      void vscode.window.showInformationMessage('Agent Meter: start a task first; the stop hook enforces its budget and is removed when it ends.');
      return false;
    }
    const existing = read(file);
    const command = hookCommand(process.execPath, path.join(this.extensionPath, 'dist', HOOK_SCRIPT_NAME), this.stateFile);
    let next: string;
    try {
      next = withHook(existing, command);
    } catch (error) {
      void vscode.window.showErrorMessage(`Agent Meter cannot add the hook to ${file}: ${(error as Error).message}`);
      return false;
    }
    const pick = await vscode.window.showWarningMessage(
      'Let Agent Meter stop Claude Code when this task runs over budget or loops?',
      {
        modal: true,
        detail: `This ${existing === undefined ? 'creates' : 'changes'} ${file}:\n\n${next}\nBefore each tool call, Claude Code runs Agent Meter's hook, which denies the call (with the reason) once the task's budget is used up or a loop is flagged. The hook is removed when the task ends or with "Agent Meter: Remove Stop Hook". Codex has no such hook: Codex sessions are only flagged.`,
      },
      'Install Hook',
    );
    if (pick !== 'Install Hook') return false;
    this.writeState(true);
    writeFileAtomic(file, next);
    await this.state.update(INSTALLED_KEY, file);
    this.log.info(`Stop hook installed in ${file} (state ${this.stateFile}): ${command}`);
    void vscode.window.showInformationMessage(`Agent Meter: stop hook installed in ${file}.`);
    return true;
  }

  /** Removes our hook entry (and nothing else); deletes the file if it held only our hook. */
  remove(reason: string): boolean {
    const file = this.state.get<string>(INSTALLED_KEY) ?? this.settingsFile;
    if (!file) return false;
    const existing = read(file);
    if (!hasHook(existing)) {
      void this.state.update(INSTALLED_KEY, undefined);
      return false;
    }
    const next = withoutHook(existing);
    if (next === undefined) fs.rmSync(file, { force: true });
    else writeFileAtomic(file, next);
    void this.state.update(INSTALLED_KEY, undefined);
    this.log.info(`Stop hook removed from ${file} (${reason})`);
    return true;
  }

  /** Keeps the state file the hook reads in step with the task; removes the hook when it ends. */
  private sync(): void {
    if (!this.state.get<string>(INSTALLED_KEY)) return;
    if (!this.tasks.openTask) {
      if (this.remove('the task ended')) void vscode.window.showInformationMessage('Agent Meter: the task ended, so its stop hook was removed.');
      return;
    }
    this.writeState(false);
  }

  private writeState(force: boolean): void {
    const task = this.tasks.openTask;
    const decision = task
      ? stopDecision({
          budgetFraction: this.meter.budgetFraction,
          loopFlags: this.guard.openFlags.filter((f) => LOOP_RULES.has(f.rule)).map((f) => f.message),
          goal: task.goal,
        })
      : { stop: false, reason: '' };
    const key = JSON.stringify(decision);
    if (!force && key === this.lastState) return;
    this.lastState = key;
    const state: StopState = { version: 1, ...decision, taskId: task?.id, updatedAt: new Date().toISOString() };
    writeFileAtomic(this.stateFile, JSON.stringify(state));
    if (decision.stop) this.log.warn(`Stop hook armed: ${decision.reason}`);
  }
}

function read(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
