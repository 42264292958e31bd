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

/** How much later than a recorded RFC 3339 start time (upstream's `process_started_at`) a live process may have started and still be the worker (clock and rounding slack; earlier is always fine). */
export const PROCESS_START_TOLERANCE_MS = 3_000;

/** How far a start time computed from `/proc` clock ticks may be off (tick, uptime resolution, jitter); counted against whoever must prove an early start. */
export const START_TIME_SLACK_MS = 50;

/**
 * Size of the read buffer reused across files when a view loads many records in a row
 * (`loadDelegations`): one allocation instead of one per file. Larger files get their own buffer.
 */
export const RECORD_READ_SCRATCH_BYTES = 64 * 1024;


/** Record locks: how long a writer waits for a lock, and when a dead holder's lock is taken over. */
export const RECORD_LOCK_WAIT_MS = 30_000;
export const RECORD_LOCK_STALE_MS = 5_000;

/** Fake model server (src/fake-model): the answer text when a scenario names none. */
export const FAKE_MODEL_DEFAULT_TEXT = 'FAKE_OK';
/** Fake model server: seconds each `steps:N` reply waits when the scenario gives no delay. */
export const FAKE_MODEL_STEP_DELAY_SECONDS = 1;
/** Fake model server: time between two reasoning blocks of `think:N` and two text chunks of `stream:N`. */
export const FAKE_MODEL_TICK_MS = 1_000;
/** Fake model server: Codex's `stream_idle_timeout_ms` written by `writeCodexHome` (Codex's own default). */
export const FAKE_CODEX_STREAM_IDLE_TIMEOUT_MS = 300_000;

/**
 * Linux USER_HZ: the unit of `/proc/<pid>/stat` field 22 (`starttime`, clock ticks since boot).
 * The kernel reports it as 100 on every mainstream architecture (what `getconf CLK_TCK` prints),
 * whatever the kernel's internal HZ is. Node has no sysconf, so it is fixed here rather than forked for.
 */
export const CLOCK_TICKS_PER_SECOND = 100;

/** How often process termination polls whether a signalled process group is gone. @default 25 */
export const TERMINATE_POLL_MS = 25;
/** How long termination waits for a process group to vanish after SIGKILL before reporting survivors. @default 1000 */
export const TERMINATE_KILL_WAIT_MS = 1_000;

/** The longest final worker message kept in `worker_result.final_message`, in UTF-8 bytes (longer ones are cut). */
export const FINAL_MESSAGE_MAX_BYTES = 16 * 1024;
/**
 * The longest single raw-event line the live stream folder buffers while waiting for its newline, in characters
 * (UTF-16 units; bytes for ASCII).
 * A longer line is dropped (counted as one `unknown` event) instead of growing memory without bound.
 */
export const STREAM_FOLDER_MAX_LINE_CHARS = 8 * 1024 * 1024;

/** Record locks: randomized backoff between attempts to take a held lock, growing from the first to the second. */
export const RECORD_LOCK_RETRY_MIN_MS = 2;
export const RECORD_LOCK_RETRY_MAX_MS = 50;

/**
 * Supervisor debounce of file events in `delegations/` (records change rarely and matter at once).
 * @default 10
 */
export const SUPERVISOR_RECORD_DEBOUNCE_MS = 10;
/** Supervisor debounce of file events in `raw-events/` (chatty: one per worker output line). @default 200 */
export const SUPERVISOR_RAW_EVENTS_DEBOUNCE_MS = 200;
/**
 * How often the supervisor re-checks a running worker whose monitor is gone: its exit raises no file
 * event, so only this timer (armed only while such workers exist) notices it. @default 1000
 */
export const SUPERVISOR_ORPHAN_RECHECK_MS = 1_000;
/**
 * How often `captain wait`, while another process supervises the run, checks that this supervisor is
 * still alive (to take over if it died; a death raises no file event). @default 1000
 */
export const WAIT_HOLDER_RECHECK_MS = 1_000;
/** How long taking the supervisor slot waits for another process that is taking it at the same moment. @default 10000 */
export const SUPERVISOR_SLOT_LOCK_WAIT_MS = 10_000;
/**
 * A launch whose monitor has not claimed the record after this long (capped at half the worker's
 * stale threshold) is presumed lost (its launcher died between writing the record and starting
 * the monitor) and launched again under a new generation, which fences out a merely slow monitor.
 * @default 1000
 */
export const SUPERVISOR_LAUNCH_CLAIM_GRACE_MS = 1_000;
/** How many times the supervisor launches again a delegation whose monitor never claimed it. @default 1 */
export const SUPERVISOR_MAX_RELAUNCHES = 1;

/** `captain status` works through the delegation files this many at a time (no record outlives its slice). */
export const STATUS_SLICE_FILES = 250;
/** From this many delegation files on, `captain status` writes refreshed records from a writer thread (below: inline). */
export const STATUS_WRITER_THREAD_MIN_FILES = 2_000;

/**
 * The record cache of `captain status` (`<run>/.captain-cache/`): a record file is only cached when
 * its mtime and ctime are at least this much older than the moment it was read, so a rewrite within
 * the same filesystem timestamp tick (same size, same mtime) can never hide behind a cached copy
 * (git's "racy clean" problem; covers 1-2 s granularity filesystems). @default 2000
 */
export const RECORD_CACHE_RACY_MARGIN_MS = 2_000;
/**
 * The cache file is rewritten when the files it would gain or lose reach this share of the
 * delegation files (a few changed records are cheaper to read again than the whole cache to
 * rewrite), or whenever there was no usable cache. @default 0.05
 */
export const RECORD_CACHE_REWRITE_SHARE = 0.05;
/** A cache file bigger than this is ignored (and not written). @default 1 GiB */
export const RECORD_CACHE_MAX_BYTES = 1024 * 1024 * 1024;

/**
 * The largest record file (delegation, task card, run.json, supervisor.json) captain reads, in bytes.
 * A bigger one is reported as an error instead of being read (a record is a few KB; a link to
 * `/dev/zero` or a runaway writer must not cost gigabytes). @default 16 MiB
 */
export const RECORD_MAX_BYTES = 16 * 1024 * 1024;
/**
 * The deepest nesting of arrays and objects a record may have. A deeper one is reported as an error
 * at read time: serializing it again (JSON.stringify recurses) would exhaust the stack. @default 512
 */
export const RECORD_MAX_DEPTH = 512;
/**
 * Record locks: the file inside a lock directory that names its holder (pid, start ticks, boot id),
 * so a waiter can tell at once that the holder died and break the lock.
 */
export const RECORD_LOCK_OWNER_FILE = 'owner';

/** How long the launcher waits for the worker wrapper to report the worker's pid. */
export const WRAPPER_PID_WAIT_MS = 5_000;

/** The longest JSON-RPC line the MCP server accepts; a longer one is skipped and answered with an error. */
export const MCP_MAX_LINE_BYTES = 4 * 1024 * 1024;
