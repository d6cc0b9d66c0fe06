import * as assert from 'node:assert/strict';
import { Export, Navigate, Notice, OpenLog, parseHostMessage, parsePageMessage, Ready, ShowHistory, ShowRecap } from '../../src/core/recap/protocol';
import { historyModel, recapModel } from '../../src/core/recap/recapModel';
import { startTask } from '../../src/core/tasks/task';
import { taskNumbers } from '../../src/core/tasks/attribution';

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);

function models() {
  const task = startTask({ workspaceFolders: ['/w'], goal: 'Goal', criteria: ['c'], budget: { usd: 1 } }, T0, 't1');
  const numbers = taskNumbers(task, [], () => [], T0 + 1000);
  const model = recapModel({ task, numbers, records: [], activity: [], git: { state: 'noGit', message: 'no git' }, now: T0 + 1000 });
  return { model, history: historyModel([{ task, numbers }]) };
}

describe('recap protocol', () => {
  it('accepts each well-formed page message and says which it is', () => {
    assert.equal(Ready.is({ type: 'ready', payload: {} }), true);
    assert.equal(Ready.is({ type: 'ready', payload: { view: { view: 'compare', a: 'x', b: 'y' } } }), true);
    assert.equal(Navigate.is({ type: 'navigate', payload: { view: 'history' } }), true);
    assert.equal(Export.is({ type: 'export', payload: { scope: 'recap', format: 'csv', target: 'file' } }), true);
    assert.equal(OpenLog.is({ type: 'openLog', payload: { sessionKey: 'claude-code:s1' } }), true);
    assert.deepEqual(parsePageMessage({ type: 'openLog', payload: { sessionKey: 'codex:s' } }), { type: 'openLog', payload: { sessionKey: 'codex:s' } });
  });

  it('rejects forged or malformed page messages', () => {
    for (const bad of [
      null,
      'ready',
      { type: 'ready' },
      { type: 'navigate', payload: { view: 'compare', a: 'x' } },
      { type: 'export', payload: { scope: 'recap', format: 'html', target: 'file' } },
      { type: 'export', payload: { scope: 'recap', format: 'csv', target: 'disk' } },
      { type: 'openLog', payload: { path: '/etc/passwd' } },
      { type: 'openLog', payload: { sessionKey: 42 } },
      { type: 'runCommand', payload: { command: 'workbench.action.terminal.new' } },
    ]) {
      assert.equal(parsePageMessage(bad), undefined, JSON.stringify(bad));
    }
    assert.equal(Navigate.is({ type: 'ready', payload: {} }), false, 'a guard checks its own type only');
  });

  it('validates host messages with the full model schema on the page side', () => {
    const { model, history } = models();
    const message = ShowRecap.create({ model, history });
    assert.equal(ShowRecap.is(message), true);
    assert.equal(parseHostMessage(JSON.parse(JSON.stringify(message)))?.type, 'recap', 'survives the structured clone / JSON trip');
    assert.equal(parseHostMessage({ type: 'recap', payload: { model: { ...model, costUSD: 'free' }, history } }), undefined);
    assert.equal(parseHostMessage({ type: 'recap', payload: { model: { ...model, tokens: { ...model.tokens, input: -1 } }, history } }), undefined);
    assert.equal(parseHostMessage({ type: 'history', payload: { model: { rows: 'x' } } }), undefined);
    assert.equal(ShowHistory.is(ShowHistory.create({ model: history })), true);
    assert.equal(Notice.is({ type: 'notice', payload: { level: 'info', message: 'Saved.' } }), true);
    assert.equal(Notice.is({ type: 'notice', payload: { level: 'debug', message: 'x' } }), false);
  });

  it('refuses to build an invalid message (a host bug surfaces at the source)', () => {
    assert.throws(() => Navigate.create({ view: 'compare', a: 'x' } as never));
  });
});
