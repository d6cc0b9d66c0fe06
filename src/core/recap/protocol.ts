/**
 * The messages between the recap panel (host) and its page (webview). Each message type is an
 * object carrying its payload schema and a type guard; both sides validate what they receive with
 * the same zod schemas, so a malformed or forged message is dropped, never acted on.
 *
 * Lives in core (not src/webview) because both the host and the page import it, and the unit tests
 * reach it in plain Node. Pure: only `zod` and the recap schemas.
 */
import { z } from 'zod';
import { historyModelSchema, recapModelSchema } from './recapTypes';

export interface Message<T extends string, P> {
  readonly type: T;
  readonly payload: P;
}

export interface MessageType<T extends string, P> {
  readonly type: T;
  readonly schema: z.ZodType<Message<T, P>>;
  /** Whether `value` is a well-formed message of this type. */
  is(value: unknown): value is Message<T, P>;
  /** A message of this type (validated: building an invalid one is a bug and throws). */
  create(payload: P): Message<T, P>;
}

function messageType<T extends string, S extends z.ZodType>(type: T, payload: S): MessageType<T, z.output<S>> {
  const schema = z.object({ type: z.literal(type), payload }) as unknown as z.ZodType<Message<T, z.output<S>>>;
  return {
    type,
    schema,
    is: (value: unknown): value is Message<T, z.output<S>> => schema.safeParse(value).success,
    create: (p) => schema.parse({ type, payload: p }),
  };
}

export const viewSchema = z.discriminatedUnion('view', [
  z.object({ view: z.literal('recap'), taskId: z.string().max(200).optional() }),
  z.object({ view: z.literal('history') }),
  z.object({ view: z.literal('compare'), a: z.string().max(200), b: z.string().max(200) }),
]);
/** What the page shows: a task's recap, the history, or two tasks side by side. */
export type View = z.infer<typeof viewSchema>;

export const exportFormatSchema = z.enum(['markdown', 'json', 'csv']);
export type ExportFormat = z.infer<typeof exportFormatSchema>;

// ── page → host ──────────────────────────────────────────────────────────────────────────────────

/** The page loaded (or was restored) and can receive data; it says what it was showing. */
export const Ready = messageType('ready', z.object({ view: viewSchema.optional() }));
/** The user moved to another view. */
export const Navigate = messageType('navigate', viewSchema);
/** Export what is shown, to a file or the clipboard. */
export const Export = messageType('export', z.object({ scope: z.enum(['recap', 'history']), format: exportFormatSchema, target: z.enum(['file', 'clipboard']) }));
/** Open a session's log file; the page names the session, the host knows the path. */
export const OpenLog = messageType('openLog', z.object({ sessionKey: z.string().max(500) }));

export const PAGE_MESSAGES = [Ready, Navigate, Export, OpenLog] as const;
export type PageMessage = z.output<(typeof PAGE_MESSAGES)[number]['schema']>;

// ── host → page ──────────────────────────────────────────────────────────────────────────────────

/** A task's recap (sent again on every live update). */
export const ShowRecap = messageType('recap', z.object({ model: recapModelSchema, history: historyModelSchema }));
/** The history of all tasks. */
export const ShowHistory = messageType('history', z.object({ model: historyModelSchema }));
/** Two recaps side by side. */
export const ShowCompare = messageType('compare', z.object({ a: recapModelSchema, b: recapModelSchema, history: historyModelSchema }));
/** A short status line for the user (export done, task not found, …). */
export const Notice = messageType('notice', z.object({ level: z.enum(['info', 'error']), message: z.string() }));

export const HOST_MESSAGES = [ShowRecap, ShowHistory, ShowCompare, Notice] as const;
export type HostMessage = z.output<(typeof HOST_MESSAGES)[number]['schema']>;

/** The page message `value` is, or undefined when it is none (wrong shape, unknown type). */
export function parsePageMessage(value: unknown): PageMessage | undefined {
  for (const t of PAGE_MESSAGES) {
    const r = t.schema.safeParse(value);
    if (r.success) return r.data as PageMessage;
  }
  return undefined;
}

/** The host message `value` is, or undefined when it is none. */
export function parseHostMessage(value: unknown): HostMessage | undefined {
  for (const t of HOST_MESSAGES) {
    const r = t.schema.safeParse(value);
    if (r.success) return r.data as HostMessage;
  }
  return undefined;
}
