import type { ParseSink } from './types';

/**
 * A whole file as one JSON document of the shape its parser expects; else undefined, the reason
 * reported as a skip (`malformed-json`, or `not-an-object` with `detail`). A document parser then
 * returns 0, so the file's last good parse stays (a tool that rewrites in place leaves a
 * half-written file for a moment). The document-mode counterpart of scanJsonLines.
 */
export function parseDocument<T>(text: string, file: string, sink: ParseSink, isShape: (doc: unknown) => doc is T, detail: string): T | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    sink.skip({ reason: 'malformed-json', file, offset: 0, detail: 'not a complete JSON document' });
    return undefined;
  }
  if (!isShape(doc)) {
    sink.skip({ reason: 'not-an-object', file, offset: 0, detail });
    return undefined;
  }
  return doc;
}
