import type { Queryable } from '../../db/database.js';
import type { executeActionsFromTags } from '../executeActions.js';
import type { ShieldMetrics } from './metrics.js';
import type { WriterSelection } from './writerSelection.js';

/** The Shield service entry point; injectable so the API can run against any implementation of it. */
export type ExecuteActions = typeof executeActionsFromTags;

/** What every route gets from the app factory: no globals, one of these per app. */
export interface RouteContext {
  readonly db: Queryable;
  readonly writers: WriterSelection;
  readonly metrics: ShieldMetrics;
  readonly execute: ExecuteActions;
  /** How long /healthz waits for the database before calling it down. */
  readonly healthTimeoutMs: number;
  /** How long an action or a read may take before it is answered 503 with Retry-After. */
  readonly requestTimeoutMs: number;
  /** Counts a 403 (the route answers it). */
  readonly onForbidden: () => void;
}
