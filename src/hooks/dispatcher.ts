/**
 * The hook dispatcher: reads the run's transition log (`events.jsonl`) from where it left off,
 * and for each entry a hook subscribes to, delivers it exactly once (see `ledger.ts`) without ever
 * making the caller wait: commands run detached under their wrapper, webhooks in the background.
 * It keeps no state that matters across a crash: a restarted dispatcher rescans the log from each
 * hook's `since` position and finishes or starts whatever the ledger says is not done.
 */
import { basename } from 'node:path';
import { describeError } from '../errors.js';
import { readProcStat } from '../process/proc-stat.js';
import { findOnPath } from '../ops/preflight.js';
import { crashPoint } from '../supervisor/crash-point.js';
import { readRunEvents, type RunEvent } from '../store/events-log.js';
import { writeJsonAtomicSync } from '../store/json-file.js';
import { formatRfc3339 } from '../util/time.js';
import { HOOK_KILL_AFTER_MS, HOOK_PENDING_CHECK_MS } from '../config/defaults.js';
import type { JsonObject } from '../util/json.js';
import type { HookDefinition } from './config.js';
import { describePayload, hookEventOf, hookPayload, type HookPayload } from './events.js';
import { startHookCommand, TIMEOUT_STATUSES } from './command-runner.js';
import { createExclusive, deliveryFiles, exists, hookSince, readClaim, readExitStatus, writeDone, type DeliveryFiles } from './ledger.js';
import { postWebhook } from './webhook.js';

export interface HookDispatcherOptions {
  /** @default Date.now */
  now?: () => number;
  /** The run's id for payloads. @default the run folder's name */
  runId?: string | null;
  /** A delivery could not be started or recorded (the dispatcher carries on). */
  onError?: (error: unknown) => void;
  /** A delivery's outcome was recorded. */
  onDelivered?: (outcome: DeliveryOutcome) => void;
  /** PATH used to find `notify-send`. @default process.env.PATH */
  pathValue?: string;
}

export interface DeliveryOutcome {
  hook_id: string;
  delivery_id: string;
  event: string;
  outcome: 'delivered' | 'failed' | 'timed_out' | 'unknown' | 'skipped';
  detail: string | null;
}

export interface HookDispatcher {
  /** Reads new log entries, starts their deliveries and records finished ones. Never throws, never waits for a hook. */
  poll(): void;
  /**
   * Resolves when no delivery started by this dispatcher is still running (tests, shutdown).
   * `commands: false` waits only for webhooks (they live in this process; commands run on detached).
   */
  settled(options?: { timeoutMs?: number; commands?: boolean }): Promise<void>;
  /** Stops webhook retries; running hook commands finish under their own timeout. */
  close(): void;
}

interface Pending {
  hook: HookDefinition;
  files: DeliveryFiles;
  payload: HookPayload;
  /** When this dispatcher (re)started the wrapper or first saw the delivery started. */
  since: number;
}

const ownerAlive = (claim: Record<string, unknown> | null): boolean => {
  const pid = claim?.pid;
  if (typeof pid !== 'number') return false;
  const stat = readProcStat(pid);
  return stat !== null && stat.state !== 'Z' && stat.startTicks === claim?.start_ticks;
};

export const createHookDispatcher = (runDir: string, hooks: readonly HookDefinition[], options: HookDispatcherOptions = {}): HookDispatcher => {
  const now = options.now ?? Date.now;
  const runId = options.runId === undefined ? basename(runDir) : options.runId;
  const abort = new AbortController();
  const since = new Map<string, number>();
  const pending = new Map<string, Pending>();
  const webhooks = new Set<Promise<void>>();
  const selfTicks = readProcStat(process.pid)?.startTicks ?? null;
  let cursor: number | undefined;

  const report = (error: unknown): void => options.onError?.(error);

  const finish = (hook: HookDefinition, files: DeliveryFiles, payload: HookPayload, outcome: DeliveryOutcome['outcome'], detail: string | null): void => {
    writeDone(runDir, files, { hook_id: hook.id, delivery_id: payload.delivery_id, event: payload.event, outcome, detail, finished_at: formatRfc3339(now()) });
    options.onDelivered?.({ hook_id: hook.id, delivery_id: payload.delivery_id, event: payload.event, outcome, detail });
  };

  const commandArgv = (hook: HookDefinition, payload: HookPayload): string[] | null => {
    if (hook.action.type === 'command') return hook.action.argv;
    const bin = findOnPath('notify-send', options.pathValue ?? process.env.PATH);
    if (bin === undefined) return null;
    const { title, body } = describePayload(payload);
    return [bin, '--app-name=captain', title, body];
  };

  /** Checks a command delivery: records it once its wrapper wrote the exit status, or gives up on a lost wrapper. */
  const checkCommand = (key: string, p: Pending): void => {
    const status = readExitStatus(p.files);
    if (status !== null) {
      pending.delete(key);
      const outcome = status === 0 ? 'delivered' : TIMEOUT_STATUSES.has(status) ? 'timed_out' : 'failed';
      finish(p.hook, p.files, p.payload, outcome, status === 0 ? null : `exit status ${status}; output in ${p.files.log}`);
      return;
    }
    // The wrapper ends the command at its timeout and writes the status right after; silence well past that means the wrapper was killed.
    if (now() - p.since > p.hook.timeoutMs + HOOK_KILL_AFTER_MS + 5_000) {
      pending.delete(key);
      finish(p.hook, p.files, p.payload, 'unknown', 'the hook wrapper ended without recording an exit status (killed?); not run again');
    }
  };

  const startCommand = (key: string, hook: HookDefinition, files: DeliveryFiles, payload: HookPayload): void => {
    if (exists(files.started)) {
      pending.set(key, { hook, files, payload, since: now() });
      return;
    }
    const argv = commandArgv(hook, payload);
    if (argv === null) {
      finish(hook, files, payload, 'skipped', 'notify-send was not found on PATH');
      return;
    }
    writeJsonAtomicSync(files.payload, payload as unknown as JsonObject, { runDir });
    startHookCommand(files, argv, hook.timeoutMs, runDir);
    crashPoint('hook_started');
    pending.set(key, { hook, files, payload, since: now() });
    tick();
  };

  /** While commands run, look for their exit status now and then (nothing else may wake the dispatcher). */
  let ticker: NodeJS.Timeout | undefined;
  const tick = (): void => {
    if (ticker !== undefined || pending.size === 0 || abort.signal.aborted) return;
    ticker = setTimeout(() => {
      ticker = undefined;
      for (const [key, p] of pending) {
        try {
          checkCommand(key, p);
        } catch (error) {
          pending.delete(key);
          report(error);
        }
      }
      tick();
    }, HOOK_PENDING_CHECK_MS);
    ticker.unref();
  };

  const startWebhook = (hook: HookDefinition, files: DeliveryFiles, payload: HookPayload): void => {
    if (hook.action.type !== 'webhook') return;
    const { url, secret } = hook.action;
    const delivery = postWebhook(url, secret, payload, { timeoutMs: hook.timeoutMs, signal: abort.signal })
      .then((result) => {
        if (abort.signal.aborted && !result.ok) return; // Stopped mid-retry: a later dispatcher delivers it.
        finish(hook, files, payload, result.ok ? 'delivered' : 'failed', result.ok ? `HTTP ${result.status} after ${result.attempts} attempt(s)` : `${result.error} after ${result.attempts} attempt(s)`);
      })
      .catch(report)
      .finally(() => webhooks.delete(delivery));
    webhooks.add(delivery);
  };

  const deliver = (hook: HookDefinition, entry: RunEvent & { cursor: number }, payload: HookPayload): void => {
    const files = deliveryFiles(runDir, hook.id, entry.cursor);
    const key = `${hook.id}@${entry.cursor}`;
    if (pending.has(key) || exists(files.done)) return;
    const claimed = createExclusive(runDir, files.claim, { hook_id: hook.id, delivery_id: payload.delivery_id, event: payload.event, claimed_at: formatRfc3339(now()), pid: process.pid, start_ticks: selfTicks });
    if (hook.action.type === 'webhook') {
      // At least once, deduplicated by the receiver on X-Captain-Delivery: a claim whose owner died
      // mid-delivery is delivered again; a live owner is left to finish.
      if (!claimed && ownerAlive(readClaim(files))) return;
      startWebhook(hook, files, payload);
      return;
    }
    if (claimed) crashPoint('hook_claimed');
    startCommand(key, hook, files, payload);
  };

  const poll = (): void => {
    try {
      for (const [key, p] of pending) checkCommand(key, p);
      if (hooks.length === 0) return;
      if (cursor === undefined) {
        const end = readRunEvents(runDir, Number.MAX_SAFE_INTEGER).next_cursor;
        for (const hook of hooks) since.set(hook.id, hookSince(runDir, hook.id, end, formatRfc3339(now())));
        cursor = Math.min(...since.values());
      }
      for (;;) {
        const page = readRunEvents(runDir, cursor, { limit: 500 });
        for (const entry of page.events) {
          const event = hookEventOf(entry);
          if (event === undefined) continue;
          for (const hook of hooks) {
            if (!hook.events.includes(event) || entry.cursor <= (since.get(hook.id) ?? Infinity)) continue;
            try {
              deliver(hook, entry, hookPayload(entry, event, { runDir, runId, deliveryId: `${runId ?? 'run'}:${hook.id}:${entry.cursor}` }));
            } catch (error) {
              report(new Error(`hook ${hook.id} (${hook.source}) on ${event}: ${describeError(error)}`));
            }
          }
        }
        if (page.next_cursor === cursor) break;
        cursor = page.next_cursor;
      }
    } catch (error) {
      report(error);
    }
  };

  const settled = async ({ timeoutMs = 30_000, commands = true }: { timeoutMs?: number; commands?: boolean } = {}): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while ((commands && pending.size > 0) || webhooks.size > 0) {
      if (Date.now() > deadline) throw new Error(`hook deliveries still running after ${timeoutMs} ms`);
      await Promise.race([Promise.all(webhooks), new Promise((r) => setTimeout(r, 25))]);
      for (const [key, p] of pending) checkCommand(key, p);
    }
  };

  return {
    poll,
    settled,
    close: () => {
      abort.abort();
      if (ticker !== undefined) clearTimeout(ticker);
      ticker = undefined;
    },
  };
};
