/**
 * The recap page as a tree of plain objects ({tag, attrs, text, children, on}), built from the
 * models the host sends. `mount()` turns the tree into DOM nodes with createElement and
 * textContent, so every string from a log or the user ends up as text: nothing here is HTML.
 *
 * Pure and editor-free (no DOM, no Node, no vscode): the page bundle imports it, and the unit
 * tests check the tree in plain Node.
 */
import { z } from 'zod';
import { compactTokens, counted, dollars, grouped } from '../report/format';
import { AGENT_NAMES } from '../sources/agentNames';
import { DAY_MS } from '../util/day';
import { costText, duration, outcomeText, percent } from './export';
import type { ExportFormat, View } from './protocol';
import { viewSchema } from './protocol';
import type { HistoryModel, HistoryRow, RecapModel } from './recapTypes';

/** What a user gesture on a node asks for; the page interprets it. */
export type Action =
  | { kind: 'navigate'; view: View }
  | { kind: 'export'; scope: 'recap' | 'history'; format: ExportFormat; target: 'file' | 'clipboard' }
  | { kind: 'openLog'; sessionKey: string }
  | { kind: 'sort'; key: SortKey }
  | { kind: 'filter'; field: 'text' | 'outcome' | 'agent' }
  | { kind: 'toggleCompare'; taskId: string }
  | { kind: 'tip'; text: string }
  | { kind: 'untip' };

export type EventName = 'click' | 'input' | 'change' | 'mouseenter' | 'mouseleave' | 'focus' | 'blur';

export interface VNode {
  tag: string;
  /** An SVG element (created in the SVG namespace). */
  svg?: boolean;
  /** Attribute values are set with setAttribute (text); `mount` allows only a fixed list of names. */
  attrs?: Record<string, string>;
  /** Set with textContent. */
  text?: string;
  children?: VNode[];
  on?: Partial<Record<EventName, Action>>;
}

export const SORT_KEYS = ['goal', 'outcome', 'agents', 'startedAt', 'costUSD', 'tokens', 'activeMs'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export const uiStateSchema = z.object({
  view: viewSchema,
  sort: z.object({ key: z.enum(SORT_KEYS), dir: z.enum(['asc', 'desc']) }),
  filter: z.object({ text: z.string().max(200), outcome: z.string().max(20), agent: z.string().max(20) }),
  /** Task ids picked for the comparison (at most two). */
  picked: z.array(z.string().max(200)).max(2),
});
/** What the page remembers across reloads (getState/setState). */
export type UiState = z.infer<typeof uiStateSchema>;

export const INITIAL_UI: UiState = { view: { view: 'recap' }, sort: { key: 'startedAt', dir: 'desc' }, filter: { text: '', outcome: '', agent: '' }, picked: [] };

/** The saved UI state, or the initial one when absent or malformed (an older page's state). */
export function restoreUi(saved: unknown): UiState {
  const r = uiStateSchema.safeParse(saved);
  return r.success ? r.data : INITIAL_UI;
}

/** What the page has received. */
export type PageData =
  | { kind: 'loading' }
  | { kind: 'recap'; model: RecapModel; history: HistoryModel }
  | { kind: 'history'; history: HistoryModel }
  | { kind: 'compare'; a: RecapModel; b: RecapModel; history: HistoryModel };

// ── small builders ────────────────────────────────────────────────────────────────────────────────

function h(tag: string, attrs: Record<string, string> = {}, children: Array<VNode | string | undefined | false> = [], on?: VNode['on']): VNode {
  const kids = children.filter((c): c is VNode | string => c !== undefined && c !== false).map((c) => (typeof c === 'string' ? { tag: 'span', text: c } : c));
  const node: VNode = { tag, attrs };
  if (kids.length) node.children = kids;
  if (on) node.on = on;
  return node;
}

function t(tag: string, text: string, attrs: Record<string, string> = {}): VNode {
  return { tag, attrs, text };
}

function s(tag: string, attrs: Record<string, string> = {}, children: VNode[] = [], text?: string): VNode {
  const node: VNode = { tag, svg: true, attrs };
  if (children.length) node.children = children;
  if (text !== undefined) node.text = text;
  return node;
}

function button(label: string, action: Action, attrs: Record<string, string> = {}): VNode {
  return { tag: 'button', attrs: { type: 'button', ...attrs }, text: label, on: { click: action } };
}

function table(caption: string, head: string[], rows: Array<Array<VNode | string>>, attrs: Record<string, string> = {}): VNode {
  return h('table', attrs, [
    t('caption', caption),
    h('thead', {}, [h('tr', {}, head.map((c) => t('th', c, { scope: 'col' })))]),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => (typeof c === 'string' ? t('td', c) : h('td', {}, [c])))))),
  ]);
}

function stat(label: string, value: string, hint?: string): VNode {
  return h('div', { class: 'stat' }, [t('dt', label), t('dd', value, hint ? { title: hint } : {})]);
}

function time(at: number): string {
  return new Date(at).toLocaleString();
}

function clock(at: number): string {
  return new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

// ── the page ─────────────────────────────────────────────────────────────────────────────────────

/** The whole page for the data received and the UI state. */
export function renderPage(data: PageData, ui: UiState): VNode {
  const body =
    data.kind === 'loading'
      ? [t('p', 'Loading the recap…', { class: 'muted', role: 'status' })]
      : data.kind === 'recap'
        ? renderRecap(data.model)
        : data.kind === 'compare'
          ? renderCompare(data.a, data.b)
          : renderHistory(data.history, ui);
  const current = data.kind === 'loading' ? ui.view.view : data.kind;
  return h('div', { class: 'page' }, [nav(current, data, ui), h('main', { id: 'content', 'aria-live': 'polite', 'aria-busy': data.kind === 'loading' ? 'true' : 'false' }, body), h('div', { id: 'tooltip', role: 'tooltip', class: 'tooltip', 'aria-hidden': 'true' })]);
}

function nav(current: string, data: PageData, ui: UiState): VNode {
  const tab = (label: string, view: View, active: boolean, disabled = false) =>
    button(label, { kind: 'navigate', view }, { class: active ? 'tab active' : 'tab', 'aria-current': active ? 'page' : 'false', ...(disabled ? { disabled: 'true' } : {}), 'data-key': `nav-${label.toLowerCase()}` });
  const recapTask = data.kind === 'recap' ? data.model.taskId : ui.view.view === 'recap' ? ui.view.taskId : undefined;
  const [a, b] = ui.picked;
  const exports: VNode[] =
    current === 'recap'
      ? [
          button('Copy Markdown', { kind: 'export', scope: 'recap', format: 'markdown', target: 'clipboard' }, { 'data-key': 'copy-md', title: 'Copy the recap as Markdown, ready for a pull request' }),
          button('Save Markdown…', { kind: 'export', scope: 'recap', format: 'markdown', target: 'file' }, { 'data-key': 'save-md' }),
          button('Save JSON…', { kind: 'export', scope: 'recap', format: 'json', target: 'file' }, { 'data-key': 'save-json' }),
          button('Save CSV…', { kind: 'export', scope: 'recap', format: 'csv', target: 'file' }, { 'data-key': 'save-csv' }),
        ]
      : current === 'history'
        ? [button('Save history CSV…', { kind: 'export', scope: 'history', format: 'csv', target: 'file' }, { 'data-key': 'save-history' })]
        : [];
  return h('nav', { class: 'toolbar', 'aria-label': 'Recap views and exports' }, [
    h('div', { class: 'tabs', role: 'group', 'aria-label': 'Views' }, [
      tab('Recap', { view: 'recap', ...(recapTask ? { taskId: recapTask } : {}) }, current === 'recap'),
      tab('History', { view: 'history' }, current === 'history'),
      tab('Compare', a && b ? { view: 'compare', a, b } : { view: 'history' }, current === 'compare', !(a && b)),
    ]),
    h('div', { class: 'exports', role: 'group', 'aria-label': 'Export' }, exports),
  ]);
}

/** The recap of one task. */
export function renderRecap(m: RecapModel): VNode[] {
  const d = m.delivered;
  const done = m.criteria.filter((c) => c.done).length;
  const out: VNode[] = [
    h('header', { class: 'head' }, [
      t('h1', m.goal),
      h('p', { class: 'sub' }, [
        t('span', outcomeText(m), { class: `badge outcome-${m.status === 'finished' ? (m.outcome ?? 'done') : 'open'}` }),
        t('span', ` Started ${time(m.startedAt)}${m.endedAt !== undefined ? ` · ended ${time(m.endedAt)}` : ''}`),
      ]),
    ]),
    h('section', { 'aria-labelledby': 'cost-h' }, [
      t('h2', 'Cost and outcome', { id: 'cost-h' }),
      h('dl', { class: 'stats' }, [
        stat('Cost', costText(m.costUSD, m.unpricedModels), m.unpricedModels.length ? `Unpriced: ${m.unpricedModels.join(', ')}` : undefined),
        stat('Tokens', compactTokens(m.tokens.total), `${counted(m.tokens.total, 'token')} in ${counted(m.requests, 'request')}`),
        stat('Active time', duration(m.activeMs)),
        stat('Wall time', duration(m.wallMs)),
        stat('Cache hit rate', percent(m.cacheHitRate)),
        stat('Criteria met', `${done} / ${m.criteria.length}`),
        ...(d.git.state === 'ok'
          ? [
              stat('Commits', grouped(d.commits)),
              stat('Lines changed', `+${grouped(d.linesAdded)} −${grouped(d.linesDeleted)}`),
              stat('Files touched', grouped(d.filesTouched), d.git.binaryFiles ? `${d.git.binaryFiles} binary` : undefined),
              stat('Cost per commit', dollars(d.usdPerCommit, 'n/a')),
              stat('Cost per 100 lines', dollars(d.usdPer100Lines, 'n/a')),
            ]
          : []),
      ]),
      d.git.state !== 'ok' && t('p', `Git: ${d.git.message}`, { class: 'muted', role: 'note' }),
      m.unpricedModels.length > 0 && t('p', `Not in the price table, so not in the dollars: ${m.unpricedModels.join(', ')}.`, { class: 'warn', role: 'note' }),
    ].filter((x): x is VNode => x !== false)),
    h('section', { 'aria-labelledby': 'criteria-h' }, [
      t('h2', 'Done criteria', { id: 'criteria-h' }),
      h('ul', { class: 'criteria' }, m.criteria.map((c) => h('li', { class: c.done ? 'met' : 'unmet' }, [t('span', c.done ? '✓' : '○', { 'aria-hidden': 'true', class: 'mark' }), t('span', c.done ? 'Met: ' : 'Not met: ', { class: 'sr-only' }), t('span', c.text)]))),
    ]),
    h('section', { 'aria-labelledby': 'timeline-h' }, [t('h2', 'Spend over time', { id: 'timeline-h' }), timelineChart(m), timelineTable(m)]),
    h('section', { 'aria-labelledby': 'tokens-h' }, [
      t('h2', 'Tokens', { id: 'tokens-h' }),
      table('Tokens by kind', ['Input', 'Output', 'Cache write', 'Cache read', 'Reasoning (in output)'], [[m.tokens.input, m.tokens.output, m.tokens.cacheWrite, m.tokens.cacheRead, m.tokens.reasoning].map(grouped)]),
      table(
        'By model',
        ['Model', 'Requests', 'Input', 'Output', 'Cache write', 'Cache read', 'Cost'],
        m.byModel.map((x) => [x.estimated ? `${x.model} (estimated)` : x.model, grouped(x.requests), grouped(x.tokens.input), grouped(x.tokens.output), grouped(x.tokens.cacheWrite), grouped(x.tokens.cacheRead), x.priced ? dollars(x.costUSD) : x.costUSD === null ? 'unpriced' : `${dollars(x.costUSD)} + unpriced`]),
      ),
    ]),
    h('section', { 'aria-labelledby': 'where-h' }, [
      t('h2', 'Where the tokens went', { id: 'where-h' }),
      t('p', `${counted(m.toolCalls, 'tool call')}, ${counted(m.toolErrors, 'error')}, ${counted(m.userTurns, 'user turn')}.`),
      m.tools.length ? table('Tool calls by tool', ['Tool', 'Calls', 'Errors'], m.tools.map((x) => [x.name, grouped(x.calls), grouped(x.errors)])) : t('p', 'No tool activity recorded for this task.', { class: 'muted' }),
      table(
        `The ${m.topRequests.length} most expensive requests`,
        ['When', 'Model', 'Agent', 'Tokens', 'Cost'],
        m.topRequests.map((r) => [time(r.at), r.model, r.agent, grouped(r.tokens), dollars(r.costUSD)]),
      ),
      table(
        'Sessions',
        ['Agent', 'Session', 'Models', 'Requests', 'Cost', 'Log'],
        m.sessions.map((x) => [
          x.agent,
          x.sessionId,
          x.models.join(', '),
          grouped(x.requests),
          dollars(x.costUSD),
          x.logFile ? button('Open log', { kind: 'openLog', sessionKey: x.key }, { 'aria-label': `Open the log of session ${x.sessionId}`, title: x.logFile, 'data-key': `log-${x.key}` }) : '—',
        ]),
      ),
    ]),
    h('section', { 'aria-labelledby': 'flags-h' }, [
      t('h2', `Flags (${m.flags.length})`, { id: 'flags-h' }),
      m.flags.length
        ? h(
            'ul',
            { class: 'flags' },
            m.flags.map((f) =>
              h('li', { class: `flag ${f.severity}` }, [
                h('details', {}, [
                  h('summary', {}, [t('span', f.severity === 'error' ? 'Error' : 'Warning', { class: `badge ${f.severity}` }), t('span', ` ${clock(f.at)} ${f.rule}: `), t('span', f.message)]),
                  f.evidence.length ? h('ol', { class: 'evidence' }, f.evidence.map((e) => t('li', e, { class: 'mono' }))) : t('p', 'No evidence recorded.', { class: 'muted' }),
                ]),
              ]),
            ),
          )
        : t('p', 'No flags: the guards saw nothing unusual.', { class: 'muted' }),
    ]),
  ];
  return out;
}

/** 720 × 220 viewBox units: the chart scales to the panel's width (preserveAspectRatio). */
const CHART = { w: 720, h: 220, left: 56, right: 12, top: 12, bottom: 28 };

/** Cumulative dollars over time as SVG: a line, a dot per request (hover for details), marks. */
export function timelineChart(m: RecapModel): VNode {
  const { points, marks, from } = m.timeline;
  const to = Math.max(m.timeline.to, from + 1);
  const max = Math.max(...points.map((p) => p.usd), 0);
  // Two gridlines above zero, a round step apart, each labelled exactly ($0.025, not $0.03).
  const step = max > 0 ? niceCeil(max / 2) : 0.5;
  const top = 2 * step;
  const decimals = decimalsOf(step);
  const tick = (v: number) => `$${v.toFixed(decimals)}`;
  const when = (ms: number) => axisTime(ms, to - from);
  const x = (at: number) => CHART.left + ((at - from) / (to - from)) * (CHART.w - CHART.left - CHART.right);
  const y = (usd: number) => CHART.h - CHART.bottom - (usd / top) * (CHART.h - CHART.top - CHART.bottom);
  const f = (n: number) => n.toFixed(1);
  const line = points.map((p, i) => `${i ? 'L' : 'M'}${f(x(p.at))} ${f(y(p.usd))}`).join(' ');
  const total = points.at(-1)?.usd ?? 0;
  const label = `Cumulative spend from ${dollars(0)} to ${dollars(total)} between ${time(from)} and ${time(to)}; ${counted(marks.filter((k) => k.kind === 'userTurn').length, 'user turn')} and ${counted(marks.filter((k) => k.kind === 'flag').length, 'flag')} marked.`;
  const children: VNode[] = [s('title', {}, [], label)];
  for (const v of [0, step, top]) {
    children.push(s('line', { x1: f(CHART.left), x2: f(CHART.w - CHART.right), y1: f(y(v)), y2: f(y(v)), class: 'grid' }));
    children.push(s('text', { x: f(CHART.left - 6), y: f(y(v) + 4), 'text-anchor': 'end', class: 'axis' }, [], tick(v)));
  }
  children.push(s('text', { x: f(CHART.left), y: f(CHART.h - 8), class: 'axis' }, [], when(from)));
  children.push(s('text', { x: f(CHART.w - CHART.right), y: f(CHART.h - 8), 'text-anchor': 'end', class: 'axis' }, [], when(to)));
  for (const k of marks) {
    const tip = k.kind === 'userTurn' ? `${when(k.at)} user turn` : `${when(k.at)} ${k.severity === 'error' ? 'error' : 'warning'} flag — ${k.label}`;
    children.push({
      tag: 'line',
      svg: true,
      attrs: { x1: f(x(k.at)), x2: f(x(k.at)), y1: f(CHART.top), y2: f(CHART.h - CHART.bottom), class: k.kind === 'flag' ? `mark flag ${k.severity ?? 'warning'}` : 'mark turn' },
      children: [s('title', {}, [], tip)],
      on: { mouseenter: { kind: 'tip', text: tip }, mouseleave: { kind: 'untip' } },
    });
  }
  children.push(s('path', { d: line, class: 'spend' }));
  let previous = 0;
  for (const p of points.slice(1)) {
    const tip = `${time(p.at)}: ${dollars(p.usd)} so far (+${dollars(p.usd - previous)})`;
    previous = p.usd;
    children.push({ tag: 'circle', svg: true, attrs: { cx: f(x(p.at)), cy: f(y(p.usd)), r: '3', class: 'dot' }, children: [s('title', {}, [], tip)], on: { mouseenter: { kind: 'tip', text: tip }, mouseleave: { kind: 'untip' } } });
  }
  return s('svg', { viewBox: `0 0 ${CHART.w} ${CHART.h}`, class: 'chart', role: 'img', 'aria-label': label, preserveAspectRatio: 'xMinYMin meet', focusable: 'false' }, children);
}

/** The chart's data as a table, for keyboards and screen readers. */
function timelineTable(m: RecapModel): VNode {
  const rows = m.timeline.marks.map((k) => [time(k.at), k.kind === 'userTurn' ? 'User turn' : `Flag (${k.severity ?? 'warning'})`, k.kind === 'userTurn' ? '' : k.label]);
  return h('details', { class: 'chart-data' }, [t('summary', 'Timeline events as a table'), table('User turns and flags', ['When', 'Event', 'Detail'], rows)]);
}

/** Decimals that write a round step exactly, at least the cents: 2 for $0.50, 3 for $0.025. */
function decimalsOf(step: number): number {
  let d = 2;
  while (d < 8 && Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) > 1e-6) d++;
  return d;
}

/**
 * A time on the chart's axis, as precise as its span needs: seconds for a span of minutes (two
 * ends of an 11 s task both read "08:03" otherwise), the day too for one of more than a day.
 */
function axisTime(at: number, spanMs: number): string {
  if (spanMs >= DAY_MS) return new Date(at).toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  return new Date(at).toLocaleTimeString([], spanMs < 600_000 ? { hour: '2-digit', minute: '2-digit', second: '2-digit' } : { hour: '2-digit', minute: '2-digit' });
}

function niceCeil(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const k of [1, 2, 2.5, 5, 10]) if (k * p >= v) return k * p;
  return 10 * p;
}

// ── history ──────────────────────────────────────────────────────────────────────────────────────

/** Rows matching the filter: goal text (case-insensitive), outcome (`open` for unfinished), agent. */
export function filterRows(rows: readonly HistoryRow[], filter: UiState['filter']): HistoryRow[] {
  const text = filter.text.trim().toLowerCase();
  return rows.filter(
    (r) =>
      (!text || r.goal.toLowerCase().includes(text)) &&
      (!filter.outcome || (filter.outcome === 'open' ? r.status !== 'finished' : r.outcome === filter.outcome)) &&
      (!filter.agent || r.agents.includes(filter.agent as HistoryRow['agents'][number])),
  );
}

/** Rows sorted by a column; unpriced (null) costs sort last either way, ties by start time. */
export function sortRows(rows: readonly HistoryRow[], sort: UiState['sort']): HistoryRow[] {
  const sign = sort.dir === 'asc' ? 1 : -1;
  const value = (r: HistoryRow): string | number | null => {
    switch (sort.key) {
      case 'goal':
        return r.goal.toLowerCase();
      case 'outcome':
        return r.status === 'finished' ? (r.outcome ?? '') : 'open';
      case 'agents':
        return r.agents.join(',');
      case 'costUSD':
        return r.costUSD;
      default:
        return r[sort.key];
    }
  };
  return [...rows].sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    if (va === null || vb === null) return va === vb ? b.startedAt - a.startedAt : va === null ? 1 : -1;
    const c = typeof va === 'number' && typeof vb === 'number' ? va - vb : String(va).localeCompare(String(vb));
    return c * sign || b.startedAt - a.startedAt;
  });
}

const COLUMNS: Array<{ key: SortKey; label: string }> = [
  { key: 'goal', label: 'Goal' },
  { key: 'outcome', label: 'Outcome' },
  { key: 'agents', label: 'Agent' },
  { key: 'startedAt', label: 'Started' },
  { key: 'costUSD', label: 'Cost' },
  { key: 'tokens', label: 'Tokens' },
  { key: 'activeMs', label: 'Active' },
];

/** The history: totals, cost per done task, and a sortable, filterable table. */
export function renderHistory(history: HistoryModel, ui: UiState): VNode[] {
  const { totals } = history;
  const rows = sortRows(filterRows(history.rows, ui.filter), ui.sort);
  const mean = history.costPerDone.at(-1)?.meanUSD;
  const select = (field: 'outcome' | 'agent', label: string, options: Array<[string, string]>, value: string) =>
    h('label', {}, [
      t('span', `${label} `),
      h(
        'select',
        { 'aria-label': `Filter by ${label.toLowerCase()}`, 'data-key': `filter-${field}` },
        options.map(([v, l]) => t('option', l, v === value ? { value: v, selected: 'true' } : { value: v })),
        { change: { kind: 'filter', field } },
      ),
    ]);
  const [a, b] = ui.picked;
  return [
    t('h1', 'Task history'),
    h('section', { 'aria-labelledby': 'totals-h' }, [
      t('h2', 'Totals', { id: 'totals-h' }),
      h('dl', { class: 'stats' }, [
        stat('Done', `${totals.done.count} · ${dollars(totals.done.costUSD)}`),
        stat('Partly done', `${totals.partly.count} · ${dollars(totals.partly.costUSD)}`),
        stat('Abandoned', `${totals.abandoned.count} · ${dollars(totals.abandoned.costUSD)}`),
        stat('In progress', `${totals.open.count} · ${dollars(totals.open.costUSD)}`),
        stat('Cost per done task', mean === undefined ? 'n/a' : dollars(mean)),
      ]),
      history.costPerDone.length > 1 ? costPerDoneChart(history) : undefined,
    ].filter((x): x is VNode => x !== undefined)),
    h('section', { 'aria-labelledby': 'tasks-h' }, [
      t('h2', 'Tasks', { id: 'tasks-h' }),
      h('div', { class: 'filters', role: 'search' }, [
        h('label', {}, [t('span', 'Goal '), { tag: 'input', attrs: { type: 'search', value: ui.filter.text, placeholder: 'Filter by goal', 'aria-label': 'Filter by goal', 'data-key': 'filter-text' }, on: { input: { kind: 'filter', field: 'text' } } }]),
        select('outcome', 'Outcome', [['', 'All'], ['done', 'Done'], ['partly', 'Partly done'], ['abandoned', 'Abandoned'], ['open', 'In progress']], ui.filter.outcome),
        select('agent', 'Agent', [['', 'All'], ...AGENT_NAMES], ui.filter.agent),
        button(a && b ? 'Compare the two picked' : `Pick two tasks to compare (${ui.picked.length}/2)`, a && b ? { kind: 'navigate', view: { view: 'compare', a, b } } : { kind: 'navigate', view: { view: 'history' } }, { ...(a && b ? {} : { disabled: 'true' }), 'data-key': 'compare-go' }),
      ]),
      t('p', `${grouped(rows.length)} of ${counted(history.rows.length, 'task')}`, { class: 'muted', role: 'status' }),
      h('table', { class: 'history' }, [
        t('caption', 'All tasks; choose a column heading to sort'),
        h('thead', {}, [
          h('tr', {}, [
            t('th', 'Compare', { scope: 'col' }),
            ...COLUMNS.map((c) => {
              const active = ui.sort.key === c.key;
              return h('th', { scope: 'col', 'aria-sort': active ? (ui.sort.dir === 'asc' ? 'ascending' : 'descending') : 'none' }, [
                button(`${c.label}${active ? (ui.sort.dir === 'asc' ? ' ▲' : ' ▼') : ''}`, { kind: 'sort', key: c.key }, { class: 'sort', 'data-key': `sort-${c.key}` }),
              ]);
            }),
          ]),
        ]),
        h(
          'tbody',
          {},
          rows.map((r) =>
            h('tr', {}, [
              h('td', {}, [
                {
                  tag: 'input',
                  attrs: { type: 'checkbox', 'aria-label': `Pick for comparison: ${r.goal}`, 'data-key': `pick-${r.taskId}`, ...(ui.picked.includes(r.taskId) ? { checked: 'true' } : {}) },
                  on: { change: { kind: 'toggleCompare', taskId: r.taskId } },
                },
              ]),
              h('td', {}, [button(r.goal, { kind: 'navigate', view: { view: 'recap', taskId: r.taskId } }, { class: 'link', title: 'Open the recap', 'data-key': `open-${r.taskId}` })]),
              t('td', outcomeText(r)),
              t('td', r.agents.join(', ') || '—'),
              t('td', time(r.startedAt)),
              t('td', costText(r.costUSD, r.unpriced ? ['?'] : []), { class: 'num' }),
              t('td', compactTokens(r.tokens), { class: 'num', title: grouped(r.tokens) }),
              t('td', duration(r.activeMs), { class: 'num' }),
            ]),
          ),
        ),
      ]),
    ]),
  ];
}

function costPerDoneChart(history: HistoryModel): VNode {
  const pts = history.costPerDone;
  const w = 720;
  const hgt = 140;
  const max = niceCeil(Math.max(...pts.map((p) => Math.max(p.costUSD, p.meanUSD)), 0.01));
  const bw = (w - 60) / pts.length;
  const y = (v: number) => hgt - 20 - (v / max) * (hgt - 30);
  const kids: VNode[] = [s('title', {}, [], 'Cost of each done task (bars) and the running mean (line)')];
  pts.forEach((p, i) => {
    const tip = `${time(p.at)}: ${dollars(p.costUSD)} (mean so far ${dollars(p.meanUSD)})`;
    kids.push({ tag: 'rect', svg: true, attrs: { x: (50 + i * bw + 1).toFixed(1), y: y(p.costUSD).toFixed(1), width: Math.max(1, bw - 2).toFixed(1), height: (hgt - 20 - y(p.costUSD)).toFixed(1), class: 'bar' }, children: [s('title', {}, [], tip)], on: { mouseenter: { kind: 'tip', text: tip }, mouseleave: { kind: 'untip' } } });
  });
  kids.push(s('path', { d: pts.map((p, i) => `${i ? 'L' : 'M'}${(50 + (i + 0.5) * bw).toFixed(1)} ${y(p.meanUSD).toFixed(1)}`).join(' '), class: 'spend' }));
  kids.push(s('text', { x: '46', y: (y(max) + 4).toFixed(1), 'text-anchor': 'end', class: 'axis' }, [], dollars(max)));
  kids.push(s('text', { x: '46', y: (y(0) + 4).toFixed(1), 'text-anchor': 'end', class: 'axis' }, [], dollars(0)));
  return s('svg', { viewBox: `0 0 ${w} ${hgt}`, class: 'chart small', role: 'img', 'aria-label': `Cost per done task over time: ${pts.length} done tasks, mean ${dollars(pts.at(-1)!.meanUSD)}`, preserveAspectRatio: 'xMinYMin meet', focusable: 'false' }, kids);
}

// ── compare ──────────────────────────────────────────────────────────────────────────────────────

/** The metrics of two recaps side by side: [label, a, b, difference b − a]. */
export function compareRows(a: RecapModel, b: RecapModel): Array<[string, string, string, string]> {
  const signed = (n: number, fmt: (v: number) => string) => (n === 0 ? '=' : `${n > 0 ? '+' : '−'}${fmt(Math.abs(n))}`);
  const money = (x: number | null, y: number | null) => (x === null || y === null ? '' : signed(y - x, (v) => dollars(v)));
  const num = (x: number, y: number, fmt: (v: number) => string = grouped) => signed(y - x, fmt);
  const per = (x: number | null, y: number | null) => (x === null || y === null ? '' : signed(Math.round((y - x) * 100), (v) => `${v} pts`));
  return [
    ['Goal', a.goal, b.goal, ''],
    ['Outcome', outcomeText(a), outcomeText(b), ''],
    ['Criteria met', `${a.criteria.filter((c) => c.done).length} / ${a.criteria.length}`, `${b.criteria.filter((c) => c.done).length} / ${b.criteria.length}`, ''],
    ['Cost', costText(a.costUSD, a.unpricedModels), costText(b.costUSD, b.unpricedModels), money(a.costUSD, b.costUSD)],
    ['Tokens', grouped(a.tokens.total), grouped(b.tokens.total), num(a.tokens.total, b.tokens.total)],
    ['Requests', grouped(a.requests), grouped(b.requests), num(a.requests, b.requests)],
    ['Active time', duration(a.activeMs), duration(b.activeMs), num(a.activeMs, b.activeMs, duration)],
    ['Cache hit rate', percent(a.cacheHitRate), percent(b.cacheHitRate), per(a.cacheHitRate, b.cacheHitRate)],
    ['Commits', grouped(a.delivered.commits), grouped(b.delivered.commits), num(a.delivered.commits, b.delivered.commits)],
    ['Lines changed', grouped(a.delivered.linesChanged), grouped(b.delivered.linesChanged), num(a.delivered.linesChanged, b.delivered.linesChanged)],
    ['Cost per commit', dollars(a.delivered.usdPerCommit, 'n/a'), dollars(b.delivered.usdPerCommit, 'n/a'), money(a.delivered.usdPerCommit, b.delivered.usdPerCommit)],
    ['Cost per 100 lines', dollars(a.delivered.usdPer100Lines, 'n/a'), dollars(b.delivered.usdPer100Lines, 'n/a'), money(a.delivered.usdPer100Lines, b.delivered.usdPer100Lines)],
    ['Tool calls', grouped(a.toolCalls), grouped(b.toolCalls), num(a.toolCalls, b.toolCalls)],
    ['Tool errors', grouped(a.toolErrors), grouped(b.toolErrors), num(a.toolErrors, b.toolErrors)],
    ['Flags', grouped(a.flags.length), grouped(b.flags.length), num(a.flags.length, b.flags.length)],
    ['Models', a.byModel.map((x) => x.model).join(', '), b.byModel.map((x) => x.model).join(', '), ''],
  ];
}

/** Two tasks side by side. */
export function renderCompare(a: RecapModel, b: RecapModel): VNode[] {
  return [
    t('h1', 'Compare two tasks'),
    h('table', { class: 'compare' }, [
      t('caption', 'Task A and task B; the last column is B minus A'),
      h('thead', {}, [h('tr', {}, [t('th', 'Metric', { scope: 'col' }), t('th', 'Task A', { scope: 'col' }), t('th', 'Task B', { scope: 'col' }), t('th', 'B − A', { scope: 'col' })])]),
      h('tbody', {}, compareRows(a, b).map(([label, va, vb, diff]) => h('tr', {}, [t('th', label, { scope: 'row' }), t('td', va), t('td', vb), t('td', diff, { class: 'num' })]))),
    ]),
    h('p', {}, [
      button('Open recap A', { kind: 'navigate', view: { view: 'recap', taskId: a.taskId } }, { 'data-key': 'open-a' }),
      t('span', ' '),
      button('Open recap B', { kind: 'navigate', view: { view: 'recap', taskId: b.taskId } }, { 'data-key': 'open-b' }),
    ]),
  ];
}
