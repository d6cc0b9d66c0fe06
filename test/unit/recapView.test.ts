import * as assert from 'node:assert/strict';
import { isAllowedAttr, mount, type MountDocument } from '../../src/core/recap/mount';
import { historyModel, recapModel } from '../../src/core/recap/recapModel';
import type { HistoryRow, RecapModel } from '../../src/core/recap/recapTypes';
import { compareRows, filterRows, INITIAL_UI, renderPage, restoreUi, sortRows, timelineChart, type Action, type VNode } from '../../src/core/recap/recapView';
import type { LedgerRecord } from '../../src/core/ledger/ledger';
import type { ActivityEvent } from '../../src/core/sources/types';
import { finishTask, startTask, type Task } from '../../src/core/tasks/task';
import { taskNumbers, taskRecords } from '../../src/core/tasks/attribution';

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const EVIL = '<img src=x onerror=alert(1)>';
/** Where a string from a log may legitimately land besides text: attribute values read as text. */
const TEXT_ATTRS = new Set(['aria-label', 'title']);

function evilRecap(): { model: RecapModel; task: Task } {
  const record: LedgerRecord = {
    agent: 'claude-code',
    sessionId: EVIL,
    key: 'k',
    timestamp: T0 + 60_000,
    model: EVIL,
    inputTokens: 10,
    outputTokens: 5,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    cacheReadTokens: 0,
    reasoningOutputTokens: 0,
    fileId: 1,
    costUSD: 0.25,
    totalTokens: 15,
  };
  const sessions = [{ agent: 'claude-code' as const, sessionId: EVIL, cwd: '/w' }];
  let task = startTask({ workspaceFolders: ['/w'], goal: EVIL, criteria: [EVIL], budget: { usd: 1 } }, T0, 'evil');
  task = { ...task, flags: [{ rule: EVIL, severity: 'error', at: T0 + 90_000, message: EVIL, evidence: [EVIL, { html: EVIL }] }] };
  const numbers = taskNumbers(task, sessions, () => [record], T0 + 120_000);
  task = finishTask(task, 'abandoned', [false], numbers, T0 + 120_000);
  const activity: ActivityEvent[] = [
    { kind: 'userTurn', agent: 'claude-code', sessionId: EVIL, timestamp: T0 + 30_000 },
    { kind: 'toolCall', agent: 'claude-code', sessionId: EVIL, timestamp: T0 + 40_000, name: EVIL, argsHash: 'h', callId: 'c1' },
    { kind: 'toolError', agent: 'claude-code', sessionId: EVIL, timestamp: T0 + 50_000, name: EVIL, errorHash: 'e', callId: 'c1' },
  ];
  const model = recapModel({
    task,
    numbers,
    records: taskRecords(task, sessions, () => [record]).flatMap((g) => g.records),
    activity,
    git: { state: 'error', message: EVIL },
    now: T0 + 200_000,
    logFileOf: () => `/logs/${EVIL}.jsonl`,
  });
  return { model, task };
}

function walk(node: VNode, visit: (n: VNode) => void): void {
  visit(node);
  for (const c of node.children ?? []) walk(c, visit);
}

/** A minimal DOM: records what mount does; any attempt to parse HTML throws. */
class FakeElement {
  readonly children: FakeElement[] = [];
  readonly attributes = new Map<string, string>();
  readonly listeners = new Map<string, (e: unknown) => void>();
  private text = '';
  value = '';
  checked = false;
  constructor(
    readonly tagName: string,
    readonly namespace: string | null,
  ) {}
  setAttribute(name: string, value: string): void {
    this.attributes.set(name, value);
  }
  set textContent(v: string) {
    this.text = v;
  }
  get textContent(): string {
    return this.text + this.children.map((c) => c.textContent).join('');
  }
  appendChild(child: FakeElement): FakeElement {
    this.children.push(child);
    return child;
  }
  addEventListener(type: string, fn: (e: unknown) => void): void {
    this.listeners.set(type, fn);
  }
  set innerHTML(_v: string) {
    throw new Error('innerHTML used');
  }
  set outerHTML(_v: string) {
    throw new Error('outerHTML used');
  }
  insertAdjacentHTML(): void {
    throw new Error('insertAdjacentHTML used');
  }
  get ownText(): string {
    return this.text;
  }
}

function fakeDocument(): MountDocument & { created: FakeElement[] } {
  const created: FakeElement[] = [];
  return {
    created,
    createElement: ((tag: string) => {
      const el = new FakeElement(tag, null);
      created.push(el);
      return el;
    }) as unknown as Document['createElement'],
    createElementNS: ((ns: string, tag: string) => {
      const el = new FakeElement(tag, ns);
      created.push(el);
      return el;
    }) as unknown as Document['createElementNS'],
  };
}

describe('recap page: log text is only ever text', () => {
  const { model } = evilRecap();
  const history = historyModel([]);

  for (const [name, tree] of [
    ['recap', renderPage({ kind: 'recap', model, history }, INITIAL_UI)],
    ['compare', renderPage({ kind: 'compare', a: model, b: model, history }, INITIAL_UI)],
    ['history', renderPage({ kind: 'history', history: { ...history, rows: [{ taskId: EVIL, goal: EVIL, status: 'finished', outcome: 'done', agents: ['codex'], startedAt: T0, costUSD: 1, unpriced: false, tokens: 1, activeMs: 1, criteriaDone: 1, criteriaTotal: 1 }] } }, INITIAL_UI)],
  ] as const) {
    it(`${name}: the goal and tool names land in text, never in a tag or a live attribute`, () => {
      let inText = 0;
      walk(tree, (n) => {
        assert.match(n.tag, /^[a-z][a-z0-9]*$/i, `tag ${n.tag}`);
        assert.ok(!('html' in n) && !('innerHTML' in n), 'no HTML field');
        if (n.text?.includes(EVIL)) inText++;
        for (const [attr, value] of Object.entries(n.attrs ?? {})) {
          assert.ok(isAllowedAttr(attr), `attribute ${attr} is on the allow list`);
          assert.ok(!/^on/i.test(attr) && attr !== 'href' && attr !== 'src' && attr !== 'style', attr);
          if (value.includes(EVIL)) assert.ok(TEXT_ATTRS.has(attr) || attr.startsWith('data-'), `${EVIL} reached attribute ${attr}`);
        }
      });
      assert.ok(inText >= 1, 'the string is shown (as text)');
    });

    it(`${name}: mount builds it with createElement/textContent only`, () => {
      const doc = fakeDocument();
      const root = mount(doc, tree, () => undefined) as unknown as FakeElement;
      assert.ok(doc.created.every((el) => el.tagName !== 'img' && el.tagName !== 'script'), 'no element from the data');
      assert.ok(doc.created.some((el) => el.ownText.includes(EVIL)));
      assert.ok(root.textContent.includes(EVIL));
      for (const el of doc.created) for (const attr of el.attributes.keys()) assert.ok(!/^on/i.test(attr));
    });
  }

  it('shows every field of the model somewhere: goal, criterion, tool, model, session, flag, evidence, git message', () => {
    const texts: string[] = [];
    walk(renderPage({ kind: 'recap', model, history }, INITIAL_UI), (n) => n.text !== undefined && texts.push(n.text));
    const all = texts.join('\n');
    assert.ok(texts.filter((x) => x === EVIL).length >= 6, 'goal, criterion, tool, model, session id, evidence…');
    assert.ok(all.includes(`Git: ${EVIL}`));
    assert.ok(all.includes('{"html":"<img src=x onerror=alert(1)>"}'));
    assert.ok(all.includes('1 tool call, 1 error, 1 user turn.'), 'one of each, in the singular');
  });

  it('refuses an attribute outside the allow list', () => {
    assert.throws(() => mount(fakeDocument(), { tag: 'div', attrs: { onclick: 'alert(1)' } }, () => undefined), /not allowed/);
    assert.throws(() => mount(fakeDocument(), { tag: 'a', attrs: { href: 'javascript:alert(1)' } }, () => undefined), /not allowed/);
    assert.throws(() => mount(fakeDocument(), { tag: 'div', attrs: { style: 'x' } }, () => undefined), /not allowed/);
  });

  it('wires actions as listeners, not as attributes', () => {
    const seen: Action[] = [];
    const doc = fakeDocument();
    const tree = renderPage({ kind: 'recap', model, history }, INITIAL_UI);
    mount(doc, tree, (a) => seen.push(a));
    const openLog = doc.created.find((el) => el.attributes.get('data-key')?.startsWith('log-'));
    assert.ok(openLog, 'the session has an Open log button');
    openLog.listeners.get('click')!({});
    assert.deepEqual(seen, [{ kind: 'openLog', sessionKey: `claude-code:${EVIL}` }]);
  });
});

describe('recap page: structure and accessibility', () => {
  const { model } = evilRecap();

  it('draws the timeline as SVG with a label, a line and hover tips per request and mark', () => {
    let svg: VNode | undefined;
    walk(renderPage({ kind: 'recap', model, history: historyModel([]) }, INITIAL_UI), (n) => {
      if (n.tag === 'svg' && n.attrs?.class === 'chart') svg = n;
    });
    assert.ok(svg);
    assert.equal(svg.attrs?.role, 'img');
    assert.match(svg.attrs?.['aria-label'] ?? '', /Cumulative spend from \$0\.00 to \$0\.25/);
    const kinds = (svg.children ?? []).map((c) => c.tag);
    assert.ok(kinds.includes('path'));
    assert.equal((svg.children ?? []).filter((c) => c.tag === 'circle').length, 1, 'one dot per request');
    assert.equal((svg.children ?? []).filter((c) => c.tag === 'line' && c.attrs?.class?.startsWith('mark')).length, 2, 'a user turn and a flag');
    assert.ok((svg.children ?? []).filter((c) => c.tag === 'circle').every((c) => c.on?.mouseenter?.kind === 'tip'));
  });

  it("labels the timeline's axes exactly and as precisely as its span needs", () => {
    /** The chart's axis labels: the dollars up the side, then the times at both ends. */
    const axis = (spanMs: number, usd: number[]) => {
      const points = usd.map((v, i) => ({ at: T0 + (i * spanMs) / Math.max(1, usd.length - 1), usd: v }));
      const chart = timelineChart({ ...model, timeline: { from: T0, to: T0 + spanMs, points, marks: [] } });
      return (chart.children ?? []).filter((c) => c.attrs?.class === 'axis').map((c) => c.text ?? '');
    };
    // $0.043 in 11 s: gridlines at $0.025 steps (once labelled "$0.03"), and seconds at both ends.
    const short = axis(11_000, [0, 0.01, 0.043]);
    assert.deepEqual(short.slice(0, 3), ['$0.000', '$0.025', '$0.050']);
    assert.match(short[3], /\d:\d{2}:\d{2}/);
    assert.notEqual(short[3], short[4], 'the two ends of an 11 s task read differently');
    const hour = axis(3_600_000, [0, 1.3, 3.7]);
    assert.deepEqual(hour.slice(0, 3), ['$0.00', '$2.00', '$4.00']);
    assert.doesNotMatch(hour[3], /\d:\d{2}:\d{2}/, 'minutes are enough for an hour');
    const days = axis(3 * 86_400_000, [0, 12, 18]);
    assert.deepEqual(days.slice(0, 3), ['$0.00', '$10.00', '$20.00']);
    assert.match(days[4], /[A-Z][a-z]{2} \d/, 'the day for a span of days');
    assert.deepEqual(axis(60_000, [0, 0]).slice(0, 3), ['$0.00', '$0.50', '$1.00'], 'nothing spent yet');
  });

  it('gives every button a name and every form control a label', () => {
    walk(renderPage({ kind: 'history', history: historyModel([]) }, INITIAL_UI), (n) => {
      if (n.tag === 'button') assert.ok(n.text || n.attrs?.['aria-label'], 'button has a name');
      if (n.tag === 'input' || n.tag === 'select') assert.ok(n.attrs?.['aria-label'], `${n.tag} has a label`);
    });
  });
});

describe('recap page: history table and comparison', () => {
  const row = (id: string, over: Partial<HistoryRow>): HistoryRow => ({ taskId: id, goal: id, status: 'finished', outcome: 'done', agents: ['claude-code'], startedAt: T0, costUSD: 1, unpriced: false, tokens: 1, activeMs: 1, criteriaDone: 1, criteriaTotal: 1, ...over });
  const rows = [
    row('b', { costUSD: 3, startedAt: T0 + 1, agents: ['codex'] }),
    row('a', { costUSD: null, unpriced: true, startedAt: T0 + 2, outcome: 'abandoned' }),
    row('c', { costUSD: 1, startedAt: T0 + 3, status: 'active', outcome: undefined, goal: 'Fix the CSV export' }),
  ];

  it('sorts by cost either way with unpriced tasks last', () => {
    assert.deepEqual(sortRows(rows, { key: 'costUSD', dir: 'desc' }).map((r) => r.taskId), ['b', 'c', 'a']);
    assert.deepEqual(sortRows(rows, { key: 'costUSD', dir: 'asc' }).map((r) => r.taskId), ['c', 'b', 'a']);
    assert.deepEqual(sortRows(rows, { key: 'goal', dir: 'asc' }).map((r) => r.taskId), ['a', 'b', 'c']);
  });

  it('filters by goal text, outcome (open = unfinished) and agent', () => {
    const f = (over: Partial<typeof INITIAL_UI.filter>) => filterRows(rows, { ...INITIAL_UI.filter, ...over }).map((r) => r.taskId);
    assert.deepEqual(f({ text: 'csv' }), ['c']);
    assert.deepEqual(f({ outcome: 'open' }), ['c']);
    assert.deepEqual(f({ outcome: 'abandoned' }), ['a']);
    assert.deepEqual(f({ agent: 'codex' }), ['b']);
    assert.deepEqual(f({}), ['b', 'a', 'c']);
  });

  it('marks the sorted column for screen readers', () => {
    const tree = renderPage({ kind: 'history', history: { ...historyModel([]), rows } }, { ...INITIAL_UI, sort: { key: 'costUSD', dir: 'asc' } });
    const sorted: string[] = [];
    walk(tree, (n) => n.tag === 'th' && n.attrs?.['aria-sort'] && n.attrs['aria-sort'] !== 'none' && sorted.push(n.attrs['aria-sort']));
    assert.deepEqual(sorted, ['ascending']);
  });

  it('compares two recaps metric by metric (B − A)', () => {
    const { model } = evilRecap();
    const b: RecapModel = { ...model, taskId: 'b', costUSD: 1.25, toolCalls: 4, delivered: { ...model.delivered, commits: 2 } };
    const byLabel = new Map(compareRows(model, b).map(([label, ...rest]) => [label, rest]));
    assert.deepEqual(byLabel.get('Cost'), ['$0.25', '$1.25', '+$1.00']);
    assert.deepEqual(byLabel.get('Tool calls'), ['1', '4', '+3']);
    assert.deepEqual(byLabel.get('Commits'), ['0', '2', '+2']);
    assert.deepEqual(byLabel.get('Tokens'), ['15', '15', '=']);
  });

  it('restores a saved UI state, and falls back when it is malformed', () => {
    const saved = { ...INITIAL_UI, view: { view: 'compare', a: 'x', b: 'y' }, picked: ['x', 'y'] };
    assert.deepEqual(restoreUi(JSON.parse(JSON.stringify(saved))), saved);
    assert.deepEqual(restoreUi({ view: 'nonsense' }), INITIAL_UI);
    assert.deepEqual(restoreUi(undefined), INITIAL_UI);
  });
});
