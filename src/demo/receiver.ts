import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the demo's stand-in for `gh` gets back: the CLI's exit code and output. */
export interface GhAnswer {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ReceiverHandlers {
  /** A notify step posted `{"text": …}` (Slack's incoming-webhook shape). */
  onNotification(text: string): void;
  /** The `gh` stand-in forwarded its arguments. */
  gh(args: readonly string[]): Promise<GhAnswer>;
}

export interface DemoReceiver {
  /** Where notify steps post (the demo's SLACK_WEBHOOK_URL). */
  readonly webhookUrl: string;
  /** Where the `gh` stand-in forwards its arguments. */
  readonly ghUrl: string;
  close(): Promise<void>;
}

const maxBodyBytes = 64 * 1024;

/**
 * A loopback HTTP server standing in for the outside world of a real rollout: Slack's
 * incoming webhook (so notifications are shown, not skipped) and GitHub (through the
 * `gh` stand-in script, see ghStandIn.ts).
 */
export async function startReceiver(handlers: ReceiverHandlers): Promise<DemoReceiver> {
  const server = createServer((request, response) => {
    void handle(request, response, handlers).catch((error: unknown) => {
      reply(response, 500, { error: String((error as Error)?.message ?? error) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  return {
    webhookUrl: `${base}/slack`,
    ghUrl: `${base}/gh`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function handle(request: IncomingMessage, response: ServerResponse, handlers: ReceiverHandlers): Promise<void> {
  if (request.method !== 'POST') return reply(response, 405, { error: 'POST only' });
  const body = await readJson(request);
  if (request.url === '/slack') {
    const text = (body as { text?: unknown })?.text;
    if (typeof text !== 'string') return reply(response, 400, { error: 'expected {"text": "…"}' });
    handlers.onNotification(text);
    return reply(response, 200, { ok: true });
  }
  if (request.url === '/gh') {
    const args = (body as { args?: unknown })?.args;
    if (!Array.isArray(args) || !args.every((a) => typeof a === 'string'))
      return reply(response, 400, { error: 'expected {"args": [...]}' });
    return reply(response, 200, await handlers.gh(args));
  }
  return reply(response, 404, { error: 'not found' });
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  if (response.headersSent) return;
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
