/**
 * What the scripted model servers (modelServer, chatServer, geminiServer) share: listening on
 * 127.0.0.1 only, at a free port, a close that drops open connections so a test never waits on a
 * CLI's keep-alive socket, and JSON replies; the Anthropic/OpenAI and Gemini servers also read
 * bodies the same bounded way (the Chat Completions one answers 413 instead).
 */
import type * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Loopback {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts `server` on 127.0.0.1 and a free port; `beforeClose` runs first when it is closed (timers). */
export async function listenLoopback(server: http.Server, beforeClose?: () => void): Promise<Loopback> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        beforeClose?.();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A JSON reply. */
export function json(res: http.ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Reads a request's body and hands it over as text. 32 MB: far above any agent CLI's request
 * here; a bound so a runaway client cannot fill memory (the connection is dropped past it).
 */
export function readBody(req: http.IncomingMessage, onBody: (text: string) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size > 32 * 1024 * 1024) req.destroy();
    else chunks.push(c);
  });
  req.on('end', () => onBody(Buffer.concat(chunks).toString('utf8')));
}
