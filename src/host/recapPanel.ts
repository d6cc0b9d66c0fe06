import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { recapCsv, recapJson, recapMarkdown, historyCsv } from '../core/recap/export';
import { execGit, gitOutcome, type GitRunner } from '../core/recap/git';
import { Notice, parsePageMessage, ShowCompare, ShowHistory, ShowRecap, type ExportFormat, type PageMessage, type View } from '../core/recap/protocol';
import { historyModel, recapModel } from '../core/recap/recapModel';
import type { GitOutcome, HistoryModel, RecapModel } from '../core/recap/recapTypes';
import { restoreUi } from '../core/recap/recapView';
import { currentNumbers, taskUsage } from '../core/tasks/attribution';
import type { AgentId } from '../core/sources/types';
import type { Task } from '../core/tasks/task';
import type { EngineService } from './engineService';
import { VIEW_TYPE_RECAP } from './ids';
import { Disposable, toDisposable } from './lifecycle';
import type { TaskService } from './taskService';

/** The internal command `agentMeter.showRecap` forwards to (taskId?: string). */
export const OPEN_RECAP_COMMAND = 'agentMeter.internal.openRecap';

/** 250 ms: at most 4 updates a second while an agent streams; the eye sees no lag below that. */
const UPDATE_INTERVAL_MS = 250;
/**
 * 10 s: git runs a process per update; an open task's commits change on a human time scale, and
 * `git log --numstat` over a big repository takes ~100 ms, too much to repeat 4 times a second.
 */
const GIT_TTL_MS = 10_000;

export interface RecapDeps {
  readonly engine: EngineService;
  readonly tasks: TaskService;
  readonly log: vscode.LogOutputChannel;
  /** `context.extensionUri`: the page's script and styles are loaded from there only. */
  readonly extensionUri: vscode.Uri;
  /** Runs git (a seam for tests); production callers omit it. */
  readonly git?: GitRunner;
}

/**
 * Registers the recap: the internal open command, the serializer that restores the panel after a
 * reload, and the panel itself (one at a time, reused).
 */
export function registerRecap(deps: RecapDeps): vscode.Disposable[] {
  const gitCache = new Map<string, { at: number; outcome: Promise<GitOutcome> }>();
  const ctx: PanelContext = { deps, gitCache, current: undefined };
  return [
    vscode.commands.registerCommand(OPEN_RECAP_COMMAND, (taskId?: unknown) => {
      const view: View = { view: 'recap', ...(typeof taskId === 'string' ? { taskId } : {}) };
      if (ctx.current) ctx.current.show(view, true);
      else ctx.current = RecapPanel.create(ctx, view);
    }),
    vscode.window.registerWebviewPanelSerializer(VIEW_TYPE_RECAP, {
      deserializeWebviewPanel: async (panel, state) => {
        if (ctx.current) {
          // A second restored panel: one recap is enough.
          panel.dispose();
          return;
        }
        ctx.current = new RecapPanel(ctx, panel, restoreUi(state).view, false);
      },
    }),
    toDisposable(() => ctx.current?.dispose()),
  ];
}

interface PanelContext {
  readonly deps: RecapDeps;
  readonly gitCache: Map<string, { at: number; outcome: Promise<GitOutcome> }>;
  current: RecapPanel | undefined;
}

/** The recap panel: renders the chosen view and keeps it live while the agent works. */
class RecapPanel extends Disposable {
  private view: View;
  private ready = false;
  private explicit: boolean;
  private timer: NodeJS.Timeout | undefined;
  private lastUpdate = 0;
  private running = false;
  private dirty = false;
  private lastRecap: RecapModel | undefined;
  private lastCompare: [RecapModel, RecapModel] | undefined;
  private lastHistory: HistoryModel | undefined;

  static create(ctx: PanelContext, view: View): RecapPanel {
    const panel = vscode.window.createWebviewPanel(VIEW_TYPE_RECAP, 'Agent Meter Recap', vscode.ViewColumn.Active, { enableFindWidget: true });
    return new RecapPanel(ctx, panel, view, true);
  }

  constructor(
    private readonly ctx: PanelContext,
    private readonly panel: vscode.WebviewPanel,
    view: View,
    explicit: boolean,
  ) {
    super();
    this.view = view;
    this.explicit = explicit;
    const { extensionUri } = ctx.deps;
    panel.webview.options = {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')],
    };
    panel.webview.html = this.html();
    this._register(panel.webview.onDidReceiveMessage((m: unknown) => this.receive(m)));
    this._register(panel.onDidDispose(() => this.dispose()));
    this._register(panel.onDidChangeViewState(() => panel.visible && this.dirty && this.schedule()));
    this._register(ctx.deps.engine.onDidChange(() => this.schedule()));
    this._register(ctx.deps.tasks.onDidChange(() => this.schedule()));
    this._register(toDisposable(() => this.timer && clearTimeout(this.timer)));
  }

  override dispose(): void {
    if (this.ctx.current === this) this.ctx.current = undefined;
    super.dispose();
    this.panel.dispose();
  }

  /** Shows `view` (and brings the panel forward). */
  show(view: View, reveal: boolean): void {
    this.view = view;
    this.explicit = true;
    if (reveal) this.panel.reveal(undefined, false);
    if (this.ready) void this.update();
  }

  private html(): string {
    const webview = this.panel.webview;
    const nonce = randomBytes(16).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(this.ctx.deps.extensionUri, 'dist', 'webview', 'main.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(this.ctx.deps.extensionUri, 'media', 'recap.css'));
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${webview.cspSource}; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style.toString()}">
<title>Agent Meter Recap</title>
</head>
<body>
<div id="status" class="status" role="status" aria-live="polite"></div>
<div id="root"></div>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
  }

  private receive(raw: unknown): void {
    const message = parsePageMessage(raw);
    if (!message) {
      this.ctx.deps.log.warn(`Recap page sent an unexpected message: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    void this.handle(message).catch((error: unknown) => {
      this.ctx.deps.log.error(`Recap: ${(error as Error).stack ?? error}`);
      this.notice('error', `Agent Meter: ${(error as Error).message}`);
    });
  }

  private async handle(message: PageMessage): Promise<void> {
    switch (message.type) {
      case 'ready':
        // A restored page says what it showed; an explicit request (the command) wins.
        if (!this.explicit && message.payload.view) this.view = message.payload.view;
        this.explicit = false;
        this.ready = true;
        return this.update();
      case 'navigate':
        this.view = message.payload;
        return this.update();
      case 'export':
        return this.export(message.payload.scope, message.payload.format, message.payload.target);
      case 'openLog':
        return this.openLog(message.payload.sessionKey);
    }
  }

  /** At most one update per UPDATE_INTERVAL_MS, none while hidden (caught up when shown). */
  private schedule(): void {
    if (!this.ready) return;
    if (!this.panel.visible) {
      this.dirty = true;
      return;
    }
    if (this.timer) return;
    const wait = Math.max(0, this.lastUpdate + UPDATE_INTERVAL_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.update();
    }, wait);
  }

  private async update(): Promise<void> {
    if (this.running) {
      this.dirty = true;
      return;
    }
    this.running = true;
    this.dirty = false;
    this.lastUpdate = Date.now();
    try {
      await this.post();
    } catch (error) {
      this.ctx.deps.log.error(`Recap update failed: ${(error as Error).stack ?? error}`);
      this.notice('error', `Agent Meter could not build the recap: ${(error as Error).message}`);
    } finally {
      this.running = false;
      if (this.dirty) this.schedule();
    }
  }

  private async post(): Promise<void> {
    const now = Date.now();
    const history = this.history(now);
    this.lastHistory = history;
    const view = this.view;
    if (view.view === 'compare') {
      const a = this.task(view.a);
      const b = this.task(view.b);
      if (a && b) {
        const pair: [RecapModel, RecapModel] = [await this.recap(a, now), await this.recap(b, now)];
        this.lastCompare = pair;
        this.panel.title = 'Agent Meter: Compare Tasks';
        await this.panel.webview.postMessage(ShowCompare.create({ a: pair[0], b: pair[1], history }));
        return;
      }
      this.notice('error', 'One of the tasks to compare no longer exists.');
    } else if (view.view === 'recap') {
      const task = view.taskId ? this.task(view.taskId) : this.defaultTask();
      if (view.taskId && !task) this.notice('error', 'That task no longer exists; showing the history.');
      if (task) {
        const model = await this.recap(task, now);
        this.lastRecap = model;
        this.panel.title = `Recap: ${shorten(task.goal, 40)}`;
        await this.panel.webview.postMessage(ShowRecap.create({ model, history }));
        return;
      }
    }
    this.view = { view: 'history' };
    this.panel.title = 'Agent Meter: Task History';
    await this.panel.webview.postMessage(ShowHistory.create({ model: history }));
  }

  private task(id: string): Task | undefined {
    return this.ctx.deps.tasks.tasks.find((t) => t.id === id);
  }

  /** The open task, else the most recently finished one. */
  private defaultTask(): Task | undefined {
    const tasks = this.ctx.deps.tasks;
    return tasks.openTask ?? [...tasks.tasks].filter((t) => t.status === 'finished').sort((a, b) => (b.endedAt ?? 0) - (a.endedAt ?? 0))[0];
  }

  private sources() {
    const ledger = this.ctx.deps.engine.engine.ledger;
    return { sessions: ledger.summaries(), recordsOf: (agent: AgentId, id: string) => ledger.sessionRecords(agent, id) };
  }

  private history(now: number): HistoryModel {
    const { sessions, recordsOf } = this.sources();
    return historyModel(this.ctx.deps.tasks.tasks.map((task) => ({ task, numbers: currentNumbers(task, sessions, recordsOf, now) })));
  }

  private async recap(task: Task, now: number): Promise<RecapModel> {
    const { engine } = this.ctx.deps;
    const { sessions, recordsOf } = this.sources();
    const usage = taskUsage(task, sessions, recordsOf, now);
    const files = new Map(engine.engine.scanner.fileStates().map((f) => [f.id, f.path] as const));
    return recapModel({
      task,
      // A finished task keeps its frozen numbers (the logs may have changed or gone since).
      numbers: task.final ?? usage.numbers,
      records: usage.records,
      activity: usage.groups.flatMap((g) => engine.activity.events(g.session.agent, g.session.sessionId)),
      git: await this.git(task, now),
      now,
      logFileOf: (id) => files.get(id),
    });
  }

  private git(task: Task, now: number): Promise<GitOutcome> {
    const cached = this.ctx.gitCache.get(task.id);
    // A finished task's commits are fixed (its window is closed); an open task's move.
    if (cached && (task.status === 'finished' || now - cached.at < GIT_TTL_MS)) return cached.outcome;
    const outcome = gitOutcome(
      { folders: task.workspaceFolders, since: task.createdAt, until: task.endedAt, uncommitted: task.status !== 'finished' },
      this.ctx.deps.git ?? execGit,
    ).catch((error: unknown): GitOutcome => ({ state: 'error', message: (error as Error).message }));
    this.ctx.gitCache.set(task.id, { at: now, outcome });
    return outcome;
  }

  private async export(scope: 'recap' | 'history', format: ExportFormat, target: 'file' | 'clipboard'): Promise<void> {
    let text: string;
    let name: string;
    if (scope === 'history') {
      const history = this.lastHistory ?? this.history(Date.now());
      text = historyCsv(history.rows);
      name = 'agent-meter-history.csv';
    } else {
      const model = this.lastRecap;
      if (!model) return this.notice('error', 'Nothing to export yet.');
      text = format === 'markdown' ? recapMarkdown(model) : format === 'json' ? recapJson(model) : recapCsv(model);
      name = `agent-meter-recap-${slug(model.goal)}.${format === 'markdown' ? 'md' : format}`;
    }
    if (target === 'clipboard') {
      await vscode.env.clipboard.writeText(text);
      return this.notice('info', `Copied the ${scope} as ${format === 'markdown' ? 'Markdown' : format.toUpperCase()}.`);
    }
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const filters: Record<string, string[]> = format === 'markdown' ? { Markdown: ['md'] } : format === 'json' ? { JSON: ['json'] } : { CSV: ['csv'] };
    const uri = await vscode.window.showSaveDialog({ defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined, filters, saveLabel: 'Export' });
    if (!uri) return;
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
    this.notice('info', `Saved ${uri.fsPath}.`);
  }

  private async openLog(sessionKey: string): Promise<void> {
    const shown = [this.lastRecap, ...(this.lastCompare ?? [])];
    // The page names a session; the path comes from the host's own model, never from the page.
    const file = shown.flatMap((m) => m?.sessions ?? []).find((s) => s.key === sessionKey)?.logFile;
    if (!file) return this.notice('error', 'That session has no log file on record.');
    await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: true });
  }

  private notice(level: 'info' | 'error', message: string): void {
    void this.panel.webview.postMessage(Notice.create({ level, message }));
  }
}

function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'task';
}
