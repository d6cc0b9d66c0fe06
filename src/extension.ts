import * as vscode from 'vscode';

export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('Agent Meter', { log: true });
  context.subscriptions.push(output);
  output.info('Agent Meter activated');
}

export function deactivate(): void {}
