/**
 * The recap page (runs in the webview, bundled as a browser IIFE). It says "ready", validates every
 * message from the host, renders the view tree with `mount` (text only, never HTML), and keeps its
 * UI state (view, sort, filter, picked tasks) with getState/setState so a reload restores it.
 */
import { z } from 'zod';
import { mount } from '../core/recap/mount';
import { Export, Navigate, OpenLog, parseHostMessage, Ready, type View } from '../core/recap/protocol';
import { renderPage, restoreUi, type Action, type PageData, type UiState } from '../core/recap/recapView';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

// The page's CSP has no 'unsafe-eval': keep zod off its `new Function` fast path.
z.config({ jitless: true });

const vscode = acquireVsCodeApi();
let ui: UiState = restoreUi(vscode.getState());
let data: PageData = { kind: 'loading' };
const root = document.getElementById('root') ?? document.body;
const status = document.getElementById('status');

function save(): void {
  vscode.setState(ui);
}

function go(view: View): void {
  ui = { ...ui, view };
  save();
  vscode.postMessage(Navigate.create(view));
}

function dispatch(action: Action, event: Event, element: Element): void {
  switch (action.kind) {
    case 'navigate':
      go(action.view);
      if (action.view.view === 'history' && data.kind !== 'loading') {
        data = { kind: 'history', history: data.history };
        draw();
      }
      return;
    case 'export':
      vscode.postMessage(Export.create({ scope: action.scope, format: action.format, target: action.target }));
      return;
    case 'openLog':
      vscode.postMessage(OpenLog.create({ sessionKey: action.sessionKey }));
      return;
    case 'sort': {
      const same = ui.sort.key === action.key;
      ui = { ...ui, sort: { key: action.key, dir: same && ui.sort.dir === 'desc' ? 'asc' : same ? 'desc' : action.key === 'goal' ? 'asc' : 'desc' } };
      save();
      draw();
      return;
    }
    case 'filter': {
      const value = (element as HTMLInputElement | HTMLSelectElement).value.slice(0, 200);
      ui = { ...ui, filter: { ...ui.filter, [action.field]: value } };
      save();
      draw();
      return;
    }
    case 'toggleCompare': {
      const picked = ui.picked.includes(action.taskId) ? ui.picked.filter((id) => id !== action.taskId) : [...ui.picked, action.taskId].slice(-2);
      ui = { ...ui, picked };
      save();
      draw();
      return;
    }
    case 'tip':
      showTip(action.text, event);
      return;
    case 'untip':
      hideTip();
      return;
  }
}

let noticeTimer: ReturnType<typeof setTimeout> | undefined;

/** 8 s: long enough to read a one-line notice twice; the role=status region announces it anyway. */
const NOTICE_MS = 8000;

function showNotice(text: string, level: 'info' | 'error'): void {
  if (!status) return;
  status.textContent = text;
  status.className = level === 'error' ? 'status error' : 'status';
  if (noticeTimer) clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => {
    status.textContent = '';
  }, NOTICE_MS);
}

function showTip(text: string, event: Event): void {
  const tip = document.getElementById('tooltip');
  if (!tip) return;
  tip.textContent = text;
  tip.setAttribute('aria-hidden', 'false');
  tip.classList.add('visible');
  const e = event as MouseEvent;
  const x = Math.min(e.clientX + 12, window.innerWidth - tip.offsetWidth - 8);
  const y = Math.max(8, e.clientY - tip.offsetHeight - 10);
  tip.style.left = `${Math.max(8, x)}px`;
  tip.style.top = `${y}px`;
}

function hideTip(): void {
  const tip = document.getElementById('tooltip');
  tip?.classList.remove('visible');
  tip?.setAttribute('aria-hidden', 'true');
}

/** Re-renders, keeping the focused control (by data-key), its caret and the scroll position. */
function draw(): void {
  const active = document.activeElement;
  const key = active?.getAttribute('data-key') ?? undefined;
  const caret = active instanceof HTMLInputElement && active.type === 'search' ? [active.selectionStart, active.selectionEnd] : undefined;
  const scroll = window.scrollY;
  const openDetails = new Set(Array.from(root.querySelectorAll('details[open] > summary')).map((s) => s.textContent));
  root.replaceChildren(mount(document, renderPage(data, ui), dispatch));
  for (const summary of Array.from(root.querySelectorAll('details > summary'))) if (openDetails.has(summary.textContent)) summary.parentElement?.setAttribute('open', '');
  if (key) {
    const again = Array.from(root.querySelectorAll('[data-key]')).find((el) => el.getAttribute('data-key') === key);
    if (again instanceof HTMLElement) {
      again.focus();
      if (caret && again instanceof HTMLInputElement) again.setSelectionRange(caret[0], caret[1]);
    }
  }
  window.scrollTo(0, scroll);
}

window.addEventListener('message', (event: MessageEvent) => {
  const message = parseHostMessage(event.data);
  if (!message) return;
  switch (message.type) {
    case 'recap':
      data = { kind: 'recap', model: message.payload.model, history: message.payload.history };
      ui = { ...ui, view: { view: 'recap', taskId: message.payload.model.taskId } };
      break;
    case 'history':
      data = { kind: 'history', history: message.payload.model };
      ui = { ...ui, view: { view: 'history' } };
      break;
    case 'compare':
      data = { kind: 'compare', a: message.payload.a, b: message.payload.b, history: message.payload.history };
      ui = { ...ui, view: { view: 'compare', a: message.payload.a.taskId, b: message.payload.b.taskId } };
      break;
    case 'notice':
      showNotice(message.payload.message, message.payload.level);
      return;
  }
  save();
  draw();
});

window.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') hideTip();
});

draw();
vscode.postMessage(Ready.create({ view: ui.view }));
