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
 * How often the supervisor looks again while it holds queued launches (run budget reached, or free
 * memory under the floor): a raised budget (`captain budget`) or freed memory raises no file event. @default 2000
 */
export const SUPERVISOR_HOLD_RECHECK_MS = 2_000;

/**
 * `--max-parallel auto` (src/lifecycle/parallel-limit.ts): at most this many workers per core.
 * Agent CLIs mostly wait on the model, so two per core keeps the cores busy without thrashing. @default 2
 */
export const AUTO_PARALLEL_WORKERS_PER_CORE = 2;

/** `--max-parallel auto`: launches are held while MemAvailable (/proc/meminfo) is under this floor. @default 1 GiB */
export const AUTO_PARALLEL_MEMORY_FLOOR_BYTES = 1024 * 1024 * 1024;

/**
 * `--max-parallel auto`: the memory one more worker is expected to take (an agent CLI's Node or Rust
 * process with its tool children: codex 100–300 MB, claude and gemini 300–500 MB). @default 512 MiB
 */
export const AUTO_PARALLEL_WORKER_MEMORY_BYTES = 512 * 1024 * 1024;
/**
 * How often `captain wait`, while another process supervises the run, checks that this supervisor is
 * still alive (to take over if it died; a death raises no file event). @default 1000
 */
export const WAIT_HOLDER_RECHECK_MS = 1_000;
/**
 * `watchRun`'s safety poll: fs.watch misses events on some filesystems (NFS, some overlays, a folder
 * created after the watch began), so every this often the watch also compares cheap stats (the
 * event log's size, the record and raw-events folders' mtimes, followed files' size). @default 1000
 */
export const WATCH_SAFETY_POLL_MS = 1_000;
/** `watchRun` gathers the file events of this long into one batch of changes. @default 10 */
export const WATCH_COALESCE_MS = 10;
/** `watchRun` reads at most this many run events per batch (the rest come in the next one). @default 200 */
export const WATCH_MAX_EVENTS_PER_BATCH = 200;
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

/** Human text output (status table, `captain runs`): the widest it is laid out to fit. */
export const TEXT_TABLE_WIDTH = 100;
/** The status table reads at most this many failed workers' records for their reasons (a status of thousands of failures stays fast). */
export const FAILURE_REASONS_MAX_READS = 500;
/** `captain wait`'s closing report: lines of each worker's final message shown, and characters per line. */
export const WAIT_FINAL_MESSAGE_LINES = 3;
export const WAIT_FINAL_MESSAGE_WIDTH = 96;
/** Hooks: how long a hook command or one webhook attempt may run before it is killed / abandoned. @default 10000 */
export const HOOK_TIMEOUT_MS = 10_000;
/** Hooks: how long after SIGTERM at its timeout a hook command's process group gets SIGKILL. @default 2000 */
export const HOOK_KILL_AFTER_MS = 2_000;
/** Hooks: webhook attempts after the first one failed (non-2xx, network error, timeout). @default 3 */
export const HOOK_WEBHOOK_RETRIES = 3;
/** Hooks: backoff before the first webhook retry; doubles per retry. @default 500 */
export const HOOK_WEBHOOK_BACKOFF_MS = 500;
/** Hooks: how often a dispatcher looks for the exit status of the hook commands it started. @default 200 */
export const HOOK_PENDING_CHECK_MS = 200;
/** Hooks: how long a stopping supervisor waits for its webhook deliveries (hook commands run on, detached). @default 15000 */
export const HOOK_STOP_WAIT_MS = 15_000;
/** Git worktrees of `--worktree` delegations live in `<run>/worktrees/<delegation>` (run.json's `worktree_root` overrides the folder). */
export const WORKTREES_DIR_NAME = 'worktrees';
/** Collected work: `<run>/patches/<delegation>.patch` (`git diff --binary` from the base to the worker's last commit). */
export const PATCHES_DIR_NAME = 'patches';
/** Branch of a delegation's worktree: `captain/<run_id>/<delegation_id>`. */
export const WORKTREE_BRANCH_PREFIX = 'captain';
/** Identity of the snapshot commits captain makes of a worker's uncommitted changes. */
export const SNAPSHOT_COMMIT_IDENTITY = { name: 'captain', email: 'captain@localhost' } as const;
/** Largest git output captain reads at once (a patch, a numstat). @default 512 MiB */
export const GIT_MAX_OUTPUT_BYTES = 512 * 1024 * 1024;
/** A git command that runs longer is killed (a checkout of a huge repository stays well under). @default 10 min */
export const GIT_TIMEOUT_MS = 10 * 60 * 1000;
/** A record's diffstat lists at most this many files (the totals count all; the patch holds everything). @default 10000 */
export const DIFFSTAT_MAX_FILES = 10_000;

/** A command worker's summary quotes at most this much of its last output line, in characters. @default 500 */
export const COMMAND_SUMMARY_MAX_CHARS = 500;
/** `captain logs`: the longest text shown per event line, in characters. @default 240 */
export const LOG_LINE_TEXT_CHARS = 240;
/** Completion snapshot: the assistant message preview and the raw output preview, in characters (upstream's sizes). */
export const ASSISTANT_MESSAGE_PREVIEW_CHARS = 180;
export const RAW_OUTPUT_PREVIEW_CHARS = 220;
/** How long `supervise --detach` waits for the background supervisor to take the run. @default 5000 */
export const DETACH_START_WAIT_MS = 5_000;
/** MCP answers cut a final message or log text at this many characters (the rest is named, with where to read it). @default 4000 */
export const MCP_MAX_TEXT_CHARS = 4_000;
/** MCP `captain_wait`: default and largest `timeout_ms` (under Codex's 60 s tool-call limit). */
export const MCP_WAIT_DEFAULT_MS = 25_000;
export const MCP_WAIT_MAX_MS = 50_000;
/** MCP `captain_wait`: the most transitions one call returns. @default 50 */
export const MCP_WAIT_MAX_EVENTS = 50;
/** MCP `captain_status` compact answers list at most this many workers. @default 50 */
export const MCP_COMPACT_MAX_WORKERS = 50;
/** MCP `captain_list_runs`: runs listed when the call gives no limit. @default 20 */
export const MCP_LIST_RUNS_DEFAULT_LIMIT = 20;
/** `captain dashboard`: a comment line on each open event stream this often, so proxies and browsers keep it open. @default 15000 */
export const DASHBOARD_SSE_KEEPALIVE_MS = 15_000;
/** `captain dashboard`: the largest request body (a follow-up prompt) it reads. @default 64 KiB */
export const DASHBOARD_MAX_BODY_BYTES = 64 * 1024;
/** `captain top` redraws this often (ages move) besides on every run change. */
export const TOP_TICK_MS = 1_000;
/** `captain top`'s detail pane shows the events in the last this-many bytes of a worker's log. */
export const TOP_DETAIL_LOG_BYTES = 64 * 1024;
/** `captain top` walks a run's worktrees for their disk use at most this often. */
export const TOP_DISK_USAGE_EVERY_MS = 10_000;
/** How long a launch waits for the worker to lead its own process group (setsid in the wrapper) before recording its identity. @default 1000 */
export const WORKER_SETSID_WAIT_MS = 1_000;
