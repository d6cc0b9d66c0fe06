import path = require('node:path');
import * as vscode from 'vscode';
import type { Budget, Outcome, Task, TaskInput, TaskNumbers } from '../core/tasks/task';
import { TaskStore, type StoreProblem } from '../core/tasks/taskStore';
import { Disposable } from './lifecycle';

/**
 * The task store as this window sees it: the open task of its workspace folders, kept current when
 * another window changes the shared file (global storage is shared by every window).
 */
export class TaskService extends Disposable {
  readonly store: TaskStore;
  private readonly _onDidChange = this._register(new vscode.EventEmitter<void>());
  /** Fires when tasks changed, here or in another window. */
  readonly onDidChange = this._onDidChange.event;

  constructor(
    storageDir: string,
    private readonly log: vscode.LogOutputChannel,
    private readonly folders: () => string[],
  ) {
    super();
    this.store = new TaskStore(path.join(storageDir, 'tasks.json'), { onProblem: (p) => this.problem(p) });
    this.store.reload();
    const watcher = this._register(vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(storageDir), 'tasks.json')));
    const reload = () => {
      this.store.reload();
      this._onDidChange.fire();
    };
    this._register(watcher.onDidChange(reload));
    this._register(watcher.onDidCreate(reload));
    this._register(watcher.onDidDelete(reload));
  }

  /** The active or paused task of this window's folders. */
  get openTask(): Task | undefined {
    const folders = this.folders();
    return folders.length ? this.store.openTask(folders) : undefined;
  }

  get tasks(): readonly Task[] {
    return this.store.tasks;
  }

  start(input: Omit<TaskInput, 'workspaceFolders'>): Task {
    return this.changed(this.store.start({ ...input, workspaceFolders: this.folders() }));
  }

  pause(id: string): Task {
    return this.changed(this.store.pause(id));
  }

  resume(id: string): Task {
    return this.changed(this.store.resume(id));
  }

  finish(id: string, outcome: Outcome, criteriaDone: readonly boolean[], numbers: TaskNumbers): Task {
    return this.changed(this.store.finish(id, outcome, criteriaDone, numbers));
  }

  editBudget(id: string, budget: Budget, fraction?: number): Task {
    return this.changed(this.store.editBudget(id, budget, fraction));
  }

  /** Marks thresholds alerted; returns those this window won (another may have alerted first). */
  claimAlerts(id: string, thresholds: readonly number[]): number[] {
    return this.store.claimAlerts(id, thresholds);
  }

  update(id: string, change: (task: Task) => Task): Task {
    return this.changed(this.store.update(id, change));
  }

  private changed(task: Task): Task {
    this._onDidChange.fire();
    return task;
  }

  private problem(problem: StoreProblem): void {
    this.log.error(problem.message);
    void vscode.window.showErrorMessage(problem.message, 'Show Log').then((pick) => pick && this.log.show());
  }
}
