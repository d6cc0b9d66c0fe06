import * as vscode from 'vscode';
import { agentDisplayName } from '../core/sources/agentNames';
import type { Settings } from './config';
import type { EngineService } from './engineService';
import { COMMANDS } from './ids';
import { Disposable } from './lifecycle';
import type { TaskService } from './taskService';

/** A session that began in the last 5 minutes is "new": older ones were running before we looked. */
const NEW_SESSION_MS = 5 * 60_000;
const DONT_ASK_KEY = 'agentMeter.dontAskToDefineDone';
/** Agent CLIs whose start in a terminal offers "define done" before any token flows. */
const AGENT_COMMAND = /^\s*(?:npx\s+)?(claude|codex|gemini|opencode)(\s|$)/;

/**
 * Offers "Define done for this session?" when an agent starts in this workspace with no open task:
 * as soon as a terminal runs an agent CLI (shell integration), or when a new session's log appears.
 * Non-modal, once per session, and never again for a workspace that said so.
 */
export class SessionPrompt extends Disposable {
  private readonly asked = new Set<string>();
  private showing = false;

  constructor(
    engine: EngineService,
    private readonly tasks: TaskService,
    private readonly state: vscode.Memento,
    private readonly settings: () => Settings,
    private readonly inWorkspace: (cwd: string) => boolean,
  ) {
    super();
    this._register(
      engine.onDidChange((change) => {
        for (const event of change.activity) {
          if (event.kind !== 'session' || Date.now() - event.timestamp > NEW_SESSION_MS || !this.inWorkspace(event.cwd)) continue;
          this.offer(`${event.agent}:${event.sessionId}`, `A new ${agentDisplayName(event.agent)} session started.`);
        }
      }),
    );
    // Shell integration reports command lines (VS Code 1.93+); without it, the log path above still works.
    if (typeof vscode.window.onDidStartTerminalShellExecution === 'function') {
      this._register(
        vscode.window.onDidStartTerminalShellExecution((e) => {
          const match = AGENT_COMMAND.exec(e.execution.commandLine.value);
          if (match) this.offer(`terminal:${e.terminal.name}:${e.execution.commandLine.value}:${Date.now()}`, `\`${match[1]}\` is starting in the terminal.`);
        }),
      );
    }
  }

  private offer(key: string, what: string): void {
    if (this.asked.has(key) || this.showing) return;
    this.asked.add(key);
    if (!this.settings().promptOnNewSession || this.state.get<boolean>(DONT_ASK_KEY) || this.tasks.openTask) return;
    this.showing = true;
    void vscode.window
      .showInformationMessage(`${what} Define done for this session?`, 'Define…', 'Not now', "Don't ask for this workspace")
      .then((pick) => {
        this.showing = false;
        if (pick === 'Define…') void vscode.commands.executeCommand(COMMANDS.startTask);
        else if (pick === "Don't ask for this workspace") void this.state.update(DONT_ASK_KEY, true);
      });
  }
}
