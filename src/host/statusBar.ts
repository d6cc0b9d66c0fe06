import * as vscode from 'vscode';
import type { MeterView } from '../core/meter/meterView';
import { COMMANDS, STATUS_BAR_ID } from './ids';
import { Disposable } from './lifecycle';

/**
 * The meter in the status bar. It only renders a MeterView; what to show is decided in core
 * (meterView.ts), so the host stays thin and the text is tested as data.
 */
export class StatusBar extends Disposable {
  private readonly item: vscode.StatusBarItem;
  private last: MeterView | undefined;

  constructor() {
    super();
    // Priority 100 on the left: next to the branch and problems, where a glance lands.
    this.item = this._register(vscode.window.createStatusBarItem(STATUS_BAR_ID, vscode.StatusBarAlignment.Left, 100));
    this.item.name = 'Agent Meter';
    this.item.command = COMMANDS.meterMenu;
    this.item.text = '$(pulse) Agent Meter';
    this.item.tooltip = 'Agent Meter: reading agent logs…';
    this.item.show();
  }

  render(view: MeterView): void {
    if (this.last && this.last.text === view.text && this.last.tooltip === view.tooltip && this.last.severity === view.severity) return;
    this.last = view;
    this.item.text = view.text;
    const tooltip = new vscode.MarkdownString(view.tooltip, true);
    tooltip.isTrusted = false;
    tooltip.supportHtml = false;
    this.item.tooltip = tooltip;
    this.item.accessibilityInformation = { label: view.ariaLabel, role: 'button' };
    this.item.backgroundColor =
      view.severity === 'error' ? new vscode.ThemeColor('statusBarItem.errorBackground') : view.severity === 'warning' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
  }

  get text(): string {
    return this.item.text;
  }

  get severity(): MeterView['severity'] {
    return this.last?.severity ?? 'none';
  }
}
