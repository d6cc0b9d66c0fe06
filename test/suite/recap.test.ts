import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { AgentMeterApi } from '../../src/extension';
import type { Task } from '../../src/core/tasks/task';

const EXTENSION_ID = 'agent-meter.agent-meter';
const GOAL = 'Recap integration <b>goal</b>';

function recapTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.includes('agentMeter.recap'));
}

/** Polls `check` every 50 ms until it holds; fails with `what` after `ms`. */
async function waitFor(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; recap tabs: ${JSON.stringify(recapTabs().map((t) => t.label))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('recap panel', () => {
  let api: AgentMeterApi;
  let started: Task | undefined;

  before(async () => {
    const ext = vscode.extensions.getExtension<AgentMeterApi>(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is installed`);
    api = await ext.activate();
    await api.ready;
  });

  after(async () => {
    for (const tab of recapTabs()) await vscode.window.tabGroups.close(tab);
    if (started && api.tasks.openTask?.id === started.id) {
      api.tasks.finish(started.id, 'abandoned', started.criteria.map(() => false), api.meter.numbersOf(started));
    }
  });

  it('opens a recap webview for the open task, and the page loads and receives its data', async () => {
    const task = api.tasks.openTask ?? (started = api.tasks.start({ goal: GOAL, criteria: ['The panel opens'], budget: { usd: 5 } }));
    await vscode.commands.executeCommand('agentMeter.showRecap');
    await waitFor('a recap tab', () => recapTabs().length === 1);
    // The title changes only after the page said "ready" and the host posted the model: the
    // script ran under the CSP, validated the message and rendered.
    const expected = `Recap: ${task.goal.length > 40 ? task.goal.slice(0, 39) : task.goal}`;
    await waitFor(`the title "${expected}"`, () => recapTabs()[0]?.label.startsWith(expected.replace(/…$/, '')) ?? false);
  });

  it('reuses the one panel and falls back to the history for an unknown task', async () => {
    await vscode.commands.executeCommand('agentMeter.internal.openRecap', 'no-such-task');
    await waitFor('the history title', () => recapTabs()[0]?.label === 'Agent Meter: Task History');
    assert.equal(recapTabs().length, 1, 'still one recap panel');
  });
});
