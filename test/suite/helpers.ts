import * as vscode from 'vscode';
import type { AgentMeterApi } from '../../src/extension';

export const EXTENSION_ID = 'agent-meter.agent-meter';

/** The running extension's API, once its first scan is done. */
export async function api(): Promise<AgentMeterApi> {
  const ext = vscode.extensions.getExtension<AgentMeterApi>(EXTENSION_ID)!;
  const exports = ext.isActive ? ext.exports : await ext.activate();
  await exports.ready;
  return exports;
}

/** Polls every 25 ms until `check` returns a value, and returns it; fails with `what` after `ms`. */
export async function until<T>(what: string, check: () => T | undefined | false, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
