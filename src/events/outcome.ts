/** The verdict each worker kind gives on a finished stream, before snapshot.ts lays out the record. */
import type { JsonObject } from '../util/json.js';
import type { StreamArtifacts } from './scanner.js';
import type { FailureReason } from './types.js';

/** The artifacts of the stream (thread/session id, last message, usage, cost, terminal event) plus the verdict. */
export interface KindVerdict extends StreamArtifacts {
  status: 'completed' | 'failed';
  reason: FailureReason | null;
  /** Completed: the whole summary. Failed: its first sentence; snapshot.ts appends the detail fields. */
  headline: string;
  /** Worker-reported error text quoted in the failure details (`error="..."`), if any. */
  error: string | null;
  /** Kind-specific `key=value` failure details, placed after the terminal event and error. */
  details: string[];
  /** Extra kind-specific `worker_result` keys. */
  extra: JsonObject;
}

/** Upstream's completed summaries (`build_worker_completion_snapshot`). */
export const COMPLETED_WITH_MESSAGE = 'Worker returned a bounded result to captain fan-in.';
export const COMPLETED_WITHOUT_MESSAGE = 'Worker finished and returned control to captain fan-in.';
/** Upstream's failed-summary prefix, kept verbatim in upstream-compatibility mode. */
export const UPSTREAM_FAILURE_HEADLINE = 'Worker exited without parseable Codex result or usage artifacts.';

/** The headline for a worker killed by a signal. */
export const signalHeadline = (signal: string): string => `Worker was killed by ${signal}.`;
