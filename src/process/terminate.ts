/**
 * Terminating a worker: prove it is the recorded process, SIGTERM its whole process group, wait
 * the grace period, SIGKILL what is left, and confirm it is gone. Waiting uses timers (no busy
 * loop, no forked `kill`), so many workers can be terminated at once in about one grace period.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { START_TIME_SLACK_MS, TERMINATE_KILL_WAIT_MS, TERMINATE_POLL_MS } from '../config/defaults.js';
import { CaptainError } from '../errors.js';
import { isGroupGone, isSignallableGroup, listGroupMembers, signalGroup } from './group.js';
import { descendantsOutsideGroup, type PinnedProcess } from './descendants.js';
import { verifyProcessIdentity, type ProcessIdentity } from './identity.js';
import { bootId, isValidPid, readProcStat, startTimeMs } from './proc-stat.js';
import { parseRfc3339Millis } from '../util/time.js';

/** The worker process as a record describes it. */
export interface TerminateTarget {
  pid: number | null;
  /** The recorded process group (else `identity.pgid`). */
  pgid?: number | null;
  identity?: ProcessIdentity | null;
  /** Upstream's RFC 3339 `process_started_at`, used when there is no identity. */
  processStartedAt?: string | null;
  /**
   * The last time the worker was known to be alive (`worker_lifecycle.process_last_seen_at`).
   * When the leader is gone, a member of the recorded group proves the group is still the
   * worker's only if it started no later than this: a group id is reused like a pid once the
   * group empties, and whatever joins a reused group starts after the worker was last seen.
   */
  lastSeenAliveAt?: string | null;
}

export type Termination =
  /** Nothing of the worker was running. */
  | 'already_exited'
  /** It was running and was gone within the grace period after SIGTERM. */
  | 'terminated'
  /** It outlived the grace period and was sent SIGKILL. */
  | 'killed'
  /** A process runs under the pid but cannot be proven to be the worker: nothing was signalled. */
  | 'identity_mismatch';

export interface TerminationResult {
  termination: Termination;
  /** Whether any signal was delivered. */
  signalled: boolean;
  /** Pids still alive at the end (after SIGKILL and `killWaitMs`); normally empty. */
  survivors: number[];
}

export interface TerminateOptions {
  /** Time between liveness polls. @default TERMINATE_POLL_MS (25) */
  pollMs?: number;
  /** How long to wait for the group to vanish after SIGKILL. @default TERMINATE_KILL_WAIT_MS (1000) */
  killWaitMs?: number;
}

/** What to signal: a process group and/or the leader itself (pinned by its start ticks). */
interface KillPlan {
  group: number | null;
  leader: { pid: number; startTicks: number } | null;
  /** Descendants that left the group (`setsid`), found by parentage before the first signal. */
  strays: PinnedProcess[];
}

type Plan = KillPlan | 'already_exited' | 'identity_mismatch';

const validPidOrNull = (value: number | null | undefined): number | null => (isValidPid(value) ? value : null);

/** Decides what may be signalled, proving identity first. */
const planTermination = (target: TerminateTarget): Plan => {
  const identity = target.identity ?? null;
  const pid = validPidOrNull(target.pid) ?? validPidOrNull(identity?.pid);
  const recordedGroup = validPidOrNull(target.pgid) ?? validPidOrNull(identity?.pgid);
  const boot = bootId();
  if (identity !== null && boot !== null && identity.boot_id !== boot) return 'already_exited';
  if (pid === null) {
    // A group with no leader pid to prove it by: refuse to touch it if it has members.
    return recordedGroup !== null && !isGroupGone(recordedGroup) ? 'identity_mismatch' : 'already_exited';
  }
  if (pid === process.pid || pid === 1) return 'identity_mismatch'; // never captain itself, never init
  const verdict = verifyProcessIdentity({ pid, identity, processStartedAt: target.processStartedAt ?? null });
  if (verdict === 'mismatch' || verdict === 'unproven') return 'identity_mismatch';
  const stat = verdict === 'alive' ? readProcStat(pid) : null;
  if (stat === null) {
    // The leader is gone. While any member of its group lives, the kernel cannot hand the group id
    // (= the leader's pid) to a new process; but once the group emptied, the id may now name an
    // unrelated group. Signal it only when a member proves it is the worker's group.
    if (recordedGroup === null || !isSignallableGroup(recordedGroup) || isGroupGone(recordedGroup)) return 'already_exited';
    return groupProvenByMember(recordedGroup, identity, target.lastSeenAliveAt ?? null) ? withStrays({ group: recordedGroup, leader: null, strays: [] }) : 'identity_mismatch';
  }
  const group = recordedGroup ?? (stat.pgrp === pid ? pid : null);
  return withStrays({ group: group !== null && isSignallableGroup(group) ? group : null, leader: { pid, startTicks: stat.startTicks }, strays: [] });
};

/** The plan plus the descendants of its group members and leader that left the group. */
const withStrays = (plan: KillPlan): KillPlan => {
  const roots = [...(plan.group === null ? [] : listGroupMembers(plan.group)), ...(plan.leader === null ? [] : [plan.leader.pid])];
  return { ...plan, strays: descendantsOutsideGroup(roots, plan.group).filter((p) => p.pid !== process.pid) };
};

const pinnedAlive = (p: PinnedProcess): boolean => {
  const stat = readProcStat(p.pid);
  return stat !== null && stat.startTicks === p.startTicks && stat.state !== 'Z' && stat.state !== 'X';
};

/**
 * Whether a live member of group `pgid` proves the group is the worker's, its leader being gone:
 * a member that started no later than the worker was last seen alive (the group id was in use by
 * the worker then, and a live member has kept it from being reused since), and, with a recorded
 * identity, not before the worker itself started.
 */
export const groupProvenByMember = (pgid: number, identity: ProcessIdentity | null, lastSeenAliveAt: string | null): boolean => {
  const lastSeenMs = parseRfc3339Millis(lastSeenAliveAt ?? undefined);
  if (lastSeenMs === undefined) return false;
  return listGroupMembers(pgid).some((pid) => {
    const stat = readProcStat(pid);
    if (stat === null) return false;
    if (identity !== null && stat.startTicks < identity.start_ticks) return false;
    const startMs = startTimeMs(stat.startTicks);
    // `startTimeMs` is exact to a few clock ticks: count that slack against the member.
    return startMs !== null && startMs + START_TIME_SLACK_MS <= lastSeenMs;
  });
};

const leaderAlive = (plan: KillPlan): boolean => {
  if (plan.leader === null) return false;
  const stat = readProcStat(plan.leader.pid);
  return stat !== null && stat.startTicks === plan.leader.startTicks && stat.state !== 'Z' && stat.state !== 'X';
};

const isGone = (plan: KillPlan): boolean => (plan.group === null || isGroupGone(plan.group)) && !leaderAlive(plan) && !plan.strays.some(pinnedAlive);

const survivorsOf = (plan: KillPlan): number[] => {
  const pids = new Set(plan.group === null ? [] : listGroupMembers(plan.group));
  if (leaderAlive(plan) && plan.leader !== null) pids.add(plan.leader.pid);
  for (const stray of plan.strays) if (pinnedAlive(stray)) pids.add(stray.pid);
  return [...pids].sort((a, b) => a - b);
};

/** Sends `signal` to the group, and to the leader too if it is not (or no longer) in that group. */
const send = (plan: KillPlan, signal: NodeJS.Signals): boolean => {
  let delivered = false;
  if (plan.group !== null) {
    try {
      delivered = signalGroup(plan.group, signal);
    } catch {
      // EPERM and the like: whatever stays alive is reported in `survivors`.
    }
  }
  const leader = plan.leader;
  if (leader !== null && leader.pid !== process.pid && leaderAlive(plan) && readProcStat(leader.pid)?.pgrp !== plan.group) {
    try {
      process.kill(leader.pid, signal);
      delivered = true;
    } catch {
      // ESRCH: it just exited; EPERM: reported in `survivors`.
    }
  }
  for (const stray of plan.strays) {
    if (!pinnedAlive(stray)) continue;
    try {
      process.kill(stray.pid, signal);
      delivered = true;
    } catch {
      // it just exited, or EPERM: reported in `survivors`
    }
  }
  return delivered;
};

/** Polls every `pollMs` until the plan's processes are gone (true) or `waitMs` has passed (false). */
const waitUntilGone = async (plan: KillPlan, waitMs: number, pollMs: number): Promise<boolean> => {
  const deadline = Date.now() + waitMs;
  for (;;) {
    if (isGone(plan)) return true;
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await sleep(Math.min(pollMs, left));
  }
};

const checkDuration = (name: string, value: number, min: number): void => {
  if (!Number.isFinite(value) || value < min) {
    throw new CaptainError('USAGE', `terminateWorker: expected \`${name}\` to be a finite number ≥ ${min} ms, got ${String(value)}`);
  }
};

/**
 * Terminates a worker's process group. Never signals a process whose identity cannot be proven
 * (`identity_mismatch`). The group is `pgid` when recorded, else the pid's own group when it leads
 * one, else the single pid. SIGTERM, poll until gone (`terminated`) or `graceMs` ends, then SIGKILL
 * and poll up to `killWaitMs` (`killed`, with any `survivors`). Nothing alive: `already_exited`.
 */
export const terminateWorker = async (target: TerminateTarget, graceMs: number, opts: TerminateOptions = {}): Promise<TerminationResult> => {
  const pollMs = opts.pollMs ?? TERMINATE_POLL_MS;
  const killWaitMs = opts.killWaitMs ?? TERMINATE_KILL_WAIT_MS;
  checkDuration('graceMs', graceMs, 0);
  checkDuration('pollMs', pollMs, 1);
  checkDuration('killWaitMs', killWaitMs, 0);

  const plan = planTermination(target);
  if (plan === 'already_exited' || plan === 'identity_mismatch') return { termination: plan, signalled: false, survivors: [] };

  const termDelivered = send(plan, 'SIGTERM');
  if (!termDelivered && isGone(plan)) return { termination: 'already_exited', signalled: false, survivors: [] };
  if (await waitUntilGone(plan, graceMs, pollMs)) return { termination: 'terminated', signalled: termDelivered, survivors: [] };

  const killDelivered = send(plan, 'SIGKILL');
  await waitUntilGone(plan, killWaitMs, pollMs);
  return { termination: 'killed', signalled: termDelivered || killDelivered, survivors: survivorsOf(plan) };
};
