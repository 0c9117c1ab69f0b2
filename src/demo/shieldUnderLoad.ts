import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Database } from '../db/database.js';
import type { LatencySummary } from '../metrics/latency.js';
import { type ShieldServer, startShieldServer } from '../shield/http/server.js';
import { type LoadResult, runLoad } from '../shield/load/runLoad.js';
import { loadLimits } from '../shield/load/loadOptions.js';
import type { WriterName } from '../shield/writers/index.js';
import { type ActionCounts, countsBetween, readActionCounts } from './actionCounts.js';

/** How long after an event (a migration, a writer switch) the failures are still attributed to it. */
const windowTailMs = 1000;

/** What the server handled from an event's start to 1 s after its end, and how much of it failed. */
export interface LoadWindow {
  readonly label: string;
  readonly at: string;
  readonly requests: number;
  readonly failed: number;
}

/** The zero-downtime figures of one environment's Shield. */
export interface ZeroDowntimeFigures {
  readonly environment: string;
  readonly writerAtEnd: WriterName;
  /** Responses the load generator received over the whole run. */
  readonly requests: number;
  /** Non-2xx answers plus requests without an answer. */
  readonly errors: number;
  readonly errorRate: number;
  readonly throughput: number;
  readonly latencyMs: LatencySummary;
  /** The migration and each writer switch, with what the server handled around them. */
  readonly windows: readonly LoadWindow[];
  /** Actions the server handled with each writer: the traffic really moved. */
  readonly byWriter: ActionCounts;
  /** Set when the load generator itself broke down (not a Shield error). */
  readonly loadError?: string;
}

export interface ShieldUnderLoad {
  readonly environment: string;
  /** http://127.0.0.1:port, where the checklist's steps read /metrics. */
  readonly url: string;
  /** The API's bearer token: handed to the runs in their env only, never shown. */
  readonly token: string;
  readonly writer: WriterName;
  /** Starts counting now; close() ends the window 1 s later (the figures come with stop()). */
  openWindow(label: string): Promise<{ close(): void }>;
  /** POST /v1/admin/writer, as an operator (or the deploy of the app change) would. */
  switchWriter(to: WriterName): Promise<{ ok: boolean; httpStatus: number; message: string }>;
  /** Stops the load, then the server; returns the figures. Idempotent. */
  stop(): Promise<ZeroDowntimeFigures>;
}

export interface ShieldUnderLoadOptions {
  readonly environment: string;
  readonly connectionString: string;
  /** Requests per second (the demo uses 20–30). */
  readonly rate: number;
  /** Random when omitted; never printed or stored. */
  readonly token?: string;
}

/**
 * The Shield API in-process on 127.0.0.1 with the legacy writer (the app as it is before
 * migration 024), a random token, and a steady load on it until stop().
 *
 * @example
 * const shield = await startShieldUnderLoad({ environment: 'staging', connectionString, rate: 25 });
 * await shield.switchWriter('rpc');   // after the migration: the app change goes live
 * const figures = await shield.stop();
 */
export async function startShieldUnderLoad(options: ShieldUnderLoadOptions): Promise<ShieldUnderLoad> {
  const token = options.token ?? randomBytes(32).toString('hex');
  const server: ShieldServer = await startShieldServer({
    db: Database.connect(options.connectionString, {
      max: 6,
      applicationName: `shield (shipcheck demo, ${options.environment})`,
    }),
    auth: { kind: 'bearer', token },
    writer: 'legacy',
    host: '127.0.0.1',
    port: 0,
  });
  const controller = new AbortController();
  const load: Promise<LoadResult | Error> = runLoad({
    url: server.url,
    rate: options.rate,
    durationSeconds: loadLimits.maxDurationSeconds,
    users: 500,
    token,
    signal: controller.signal,
  }).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));

  const windows: Promise<LoadWindow>[] = [];
  let stopped: Promise<ZeroDowntimeFigures> | undefined;
  const snapshot = () => readActionCounts(server.metrics);
  const openWindow = async (label: string) => {
    const before = await snapshot();
    const at = new Date().toISOString();
    let closed = false;
    return {
      close() {
        if (closed) return;
        closed = true;
        // The tail runs on its own, without holding up the step that closed the window.
        windows.push(sleep(windowTailMs).then(async () => ({ label, at, ...countsBetween(before, await snapshot()) })));
      },
    };
  };

  return {
    environment: options.environment,
    url: server.url,
    token,
    get writer() {
      return server.writers.current.name;
    },
    openWindow,
    async switchWriter(to) {
      const from = server.writers.current.name;
      const window = await openWindow(`writer ${from} → ${to}`);
      const response = await fetch(`${server.url}/v1/admin/writer`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ writer: to }),
      });
      const body = (await response.json()) as { error?: { message?: string } };
      window.close();
      return response.ok
        ? { ok: true, httpStatus: response.status, message: `Shield switched from the ${from} writer to ${to}` }
        : {
            ok: false,
            httpStatus: response.status,
            message: `Shield refused the switch to ${to}: ${body.error?.message ?? response.status}`,
          };
    },
    stop() {
      stopped ??= (async () => {
        const settled = await Promise.all(windows);
        controller.abort();
        const result = await load;
        const byWriter = await snapshot();
        const writerAtEnd = server.writers.current.name;
        await server.shutdown('demo finished');
        return figures(options.environment, writerAtEnd, result, settled, byWriter);
      })();
      return stopped;
    },
  };
}

function figures(
  environment: string,
  writerAtEnd: WriterName,
  result: LoadResult | Error,
  windows: readonly LoadWindow[],
  byWriter: ActionCounts,
): ZeroDowntimeFigures {
  if (result instanceof Error) {
    const zero = { p50: 0, p95: 0, p99: 0, max: 0, mean: 0 };
    return {
      environment,
      writerAtEnd,
      requests: 0,
      errors: 0,
      errorRate: 0,
      throughput: 0,
      latencyMs: zero,
      windows,
      byWriter,
      loadError: result.message,
    };
  }
  return {
    environment,
    writerAtEnd,
    requests: result.responses,
    errors: result.non2xx + result.errors,
    errorRate: result.errorRate,
    throughput: result.throughput,
    latencyMs: result.latencyMs,
    windows,
    byWriter,
  };
}
