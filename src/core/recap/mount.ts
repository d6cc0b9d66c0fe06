/**
 * Turns a view tree (recapView.ts) into DOM nodes. Text goes through `textContent`, attributes
 * through `setAttribute` with names from a fixed list (no `on*`, no `href`/`src`/`style`), and
 * nothing is ever parsed as HTML. The document is a parameter, so tests pass a minimal fake.
 */
import type { Action, EventName, VNode } from './recapView';

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * Every attribute the views use. Anything else throws: an event handler or URL attribute built
 * from data would be a script injection waiting to happen.
 */
const ALLOWED_ATTRS = new Set([
  'class', 'id', 'role', 'tabindex', 'title', 'type', 'value', 'placeholder', 'checked', 'selected', 'disabled', 'scope',
  'viewBox', 'preserveAspectRatio', 'focusable', 'd', 'x', 'y', 'x1', 'x2', 'y1', 'y2', 'cx', 'cy', 'r', 'width', 'height', 'text-anchor',
]);

export function isAllowedAttr(name: string): boolean {
  return ALLOWED_ATTRS.has(name) || /^aria-[a-z]+$/.test(name) || /^data-[a-z]+(-[a-z]+)*$/.test(name);
}

/** Receives a node's action with the DOM event and the element it was declared on. */
export type Dispatch = (action: Action, event: Event, element: Element) => void;

/** The part of `Document` mount uses (a real document, or a fake in tests). */
export type MountDocument = Pick<Document, 'createElement' | 'createElementNS'>;

/** Builds the DOM of `node`. */
export function mount(doc: MountDocument, node: VNode, dispatch: Dispatch): Element {
  const el = node.svg ? doc.createElementNS(SVG_NS, node.tag) : doc.createElement(node.tag);
  for (const [name, value] of Object.entries(node.attrs ?? {})) {
    if (!isAllowedAttr(name)) throw new Error(`attribute not allowed in the recap page: ${name}`);
    el.setAttribute(name, value);
  }
  // Form state lives in properties; the attributes only set the initial value.
  if (node.tag === 'input' && node.attrs) {
    const input = el as HTMLInputElement;
    if ('value' in node.attrs) input.value = node.attrs.value;
    if (node.attrs.type === 'checkbox') input.checked = 'checked' in node.attrs;
  }
  if (node.text !== undefined) el.textContent = node.text;
  for (const child of node.children ?? []) el.appendChild(mount(doc, child, dispatch));
  for (const [event, action] of Object.entries(node.on ?? {}) as Array<[EventName, Action]>) {
    el.addEventListener(event, (e) => dispatch(action, e, el));
  }
  return el;
}
