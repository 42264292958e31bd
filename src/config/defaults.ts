/**
 * Every runtime default captain has, in one place. Keys and values are upstream CCC's
 * `[runtime]` keys and defaults, so a `ccc-config.toml` means the same thing to both tools.
 */
export interface RuntimeConfig {
  /** Progress age at which a running worker is stale (and, by default, timed out). @default 45000 */
  worker_stuck_after_ms: number;
  /** Progress age at which a running worker is quiet. Unset: half the stale threshold. @default undefined */
  worker_quiet_after_ms: number | undefined;
  /** Time between SIGTERM and SIGKILL when reclaiming a worker's process group. @default 2000 */
  worker_kill_grace_ms: number;
  /** Whether the supervisor reclaims stuck workers by itself. @default true */
  worker_auto_reclaim_enabled: boolean;
  /** Retries of a failed or reclaimed delegation. @default 1 */
  worker_max_retries_per_phase: number;
  /** Backoff before the first retry; doubles per retry. @default 1000 */
  worker_retry_backoff_ms: number;
}

export const DEFAULT_RUNTIME_CONFIG: Readonly<RuntimeConfig> = Object.freeze({
  worker_stuck_after_ms: 45_000,
  worker_quiet_after_ms: undefined,
  worker_kill_grace_ms: 2_000,
  worker_auto_reclaim_enabled: true,
  worker_max_retries_per_phase: 1,
  worker_retry_backoff_ms: 1_000,
});

/** Upstream's hard-coded fallbacks inside the lifecycle derivation (seed), for records without thresholds. */
export const LIFECYCLE_FALLBACK_STALE_AFTER_MS = 45_000;

/** How many bytes of a raw events file are read from its end to find the terminal event. */
export const RAW_EVENTS_TAIL_BYTES = 256 * 1024;
/** How many bytes are read from its start (thread id, first non-JSON lines). */
export const RAW_EVENTS_HEAD_BYTES = 64 * 1024;

/** How far a live process's start time may sit from a recorded RFC 3339 start time and still be the same process. */
export const PROCESS_START_TOLERANCE_MS = 3_000;

/** Record locks: how long a writer waits for a lock, and when a dead holder's lock is taken over. */
export const RECORD_LOCK_WAIT_MS = 30_000;
export const RECORD_LOCK_STALE_MS = 10_000;

/** Fake model server (src/fake-model): the answer text when a scenario names none. */
export const FAKE_MODEL_DEFAULT_TEXT = 'FAKE_OK';
/** Fake model server: seconds each `steps:N` reply waits when the scenario gives no delay. */
export const FAKE_MODEL_STEP_DELAY_SECONDS = 1;
/** Fake model server: time between two reasoning blocks of `think:N` and two text chunks of `stream:N`. */
export const FAKE_MODEL_TICK_MS = 1_000;
/** Fake model server: Codex's `stream_idle_timeout_ms` written by `writeCodexHome` (Codex's own default). */
export const FAKE_CODEX_STREAM_IDLE_TIMEOUT_MS = 300_000;
