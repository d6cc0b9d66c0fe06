import fs = require('node:fs');
import * as vscode from 'vscode';
import { inWorkspace } from './core/tasks/attribution';
import { registerCommands } from './host/commands';
import { readSettings, type Settings } from './host/config';
import { EngineService } from './host/engineService';
import { registerEstimateTokens } from './host/estimateTokens';
import { COMMANDS, CONTEXT, SECTION } from './host/ids';
import { DisposableStore } from './host/lifecycle';
import { MeterController } from './host/meterController';
import { StatusBar } from './host/statusBar';
import { TaskService } from './host/taskService';
import { GuardService } from './host/guardService';
import { registerRecap } from './host/recapPanel';
import { SessionPrompt } from './host/sessionPrompt';
import { StopHookService } from './host/stopHookService';

/** What the extension exports: read by the integration tests and the benchmark, nothing else. */
export interface AgentMeterApi {
  readonly ready: Promise<void>;
  readonly engine: EngineService;
  readonly tasks: TaskService;
  readonly meter: MeterController;
  readonly statusBar: StatusBar;
  readonly guard: GuardService;
  readonly stopHook: StopHookService;
  readonly activationMs: number;
}

export function activate(context: vscode.ExtensionContext): AgentMeterApi {
  const started = performance.now();
  const store = new DisposableStore();
  context.subscriptions.push(store);
  const log = store.add(vscode.window.createOutputChannel('Agent Meter', { log: true }));
  const storageDir = context.globalStorageUri.fsPath;
  fs.mkdirSync(storageDir, { recursive: true });

  let settings = loadSettings(log);
  const folders = () => (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
  const engine = store.add(new EngineService(storageDir, settings, log));
  engine.setFolders(folders);
  const tasks = store.add(new TaskService(storageDir, log, folders));
  const statusBar = store.add(new StatusBar());
  const meter = store.add(new MeterController(engine, tasks, statusBar, () => settings, folders, log));
  const guard = store.add(new GuardService(engine, tasks, meter, log, () => settings, context.workspaceState));
  meter.setFlagSource(() => guard.openFlags);
  store.add(guard.onDidChange(() => meter.update()));
  const stopHook = store.add(new StopHookService(context.extensionPath, storageDir, context.workspaceState, tasks, meter, guard, log, folders));
  const showRecap = (taskId?: string) => void vscode.commands.executeCommand('agentMeter.internal.openRecap', taskId);
  for (const d of registerCommands({ engine, tasks, meter, guard, stopHook, log, settings: () => settings, showRecap })) store.add(d);
  store.add(registerEstimateTokens({ engine, folders, settings: () => settings, log }));
  for (const d of registerRecap({ engine, tasks, log, extensionUri: context.extensionUri })) store.add(d);
  store.add(new SessionPrompt(engine, tasks, context.workspaceState, () => settings, (cwd) => inWorkspace(cwd, folders())));

  const setContext = () => void vscode.commands.executeCommand('setContext', CONTEXT.taskState, tasks.openTask?.status ?? 'none');
  store.add(tasks.onDidChange(setContext));
  setContext();
  store.add(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(SECTION)) return;
      const previous = settings;
      settings = loadSettings(log);
      if (JSON.stringify([previous.claudeConfigDirs, previous.codexHome, previous.priceOverrides]) !== JSON.stringify([settings.claudeConfigDirs, settings.codexHome, settings.priceOverrides])) {
        void engine.reconfigure(settings).then(() => meter.update());
      } else {
        meter.update();
      }
    }),
  );
  store.add(vscode.workspace.onDidChangeWorkspaceFolders(() => meter.update()));

  const ready = engine.start().then(
    () => meter.update(),
    (error: unknown) => {
      log.error(`Agent Meter could not read the agent logs: ${(error as Error).stack ?? error}`);
      void vscode.window.showErrorMessage('Agent Meter could not read the agent logs.', 'Show Log').then((p) => p && vscode.commands.executeCommand(COMMANDS.showLog));
    },
  );
  const activationMs = performance.now() - started;
  log.info(`Agent Meter ${context.extension.packageJSON.version} activated in ${activationMs.toFixed(1)} ms; index and tasks in ${storageDir}`);
  return { ready, engine, tasks, meter, statusBar, guard, stopHook, activationMs };
}

function loadSettings(log: vscode.LogOutputChannel): Settings {
  const { settings, problems } = readSettings();
  for (const p of problems) {
    log.warn(p);
    void vscode.window.showWarningMessage(`Agent Meter setting ignored: ${p}`);
  }
  return settings;
}

export function deactivate(): void {}
