/**
 * One supervisor per run: `supervisor.json` in the run directory names the holder (pid, process
 * identity, since when). It is only read-and-replaced under its lock (`supervisor.json.lock`), so
 * two processes starting at once never both win. A second supervisor is refused with the holder's
 * name; a holder that died (even by SIGKILL) is recognised from its recorded identity (so a reused
 * pid does not count) and replaced at once, without waiting for a timeout.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { SUPERVISOR_SLOT_LOCK_WAIT_MS } from '../config/defaults.js';
import { CaptainError } from '../errors.js';
import { captureProcessIdentity, verifyProcessIdentity, type ProcessIdentity } from '../process/identity.js';
import { readJsonObjectSync, writeJsonAtomicSync } from '../store/json-file.js';
import { withRecordLock } from '../store/lock.js';
import { isJsonObject, type JsonObject } from '../util/json.js';
import { formatRfc3339 } from '../util/time.js';

export const supervisorFile = (runDir: string): string => join(runDir, 'supervisor.json');

export interface Holder extends JsonObject {
  pid: number;
  identity: JsonObject | null;
  started_at: string;
  command: string;
}

const readHolder = (path: string): Holder | null => {
  try {
    const value: unknown = readJsonObjectSync(path); // a regular file only (a FIFO there must not hang the supervisor)
    return isJsonObject(value) && typeof value.pid === 'number' && typeof value.started_at === 'string' ? (value as Holder) : null;
  } catch {
    return null;
  }
};

/** Whether the recorded holder process still runs (a pid now used by another process is dead). */
const isAlive = (holder: Holder): boolean => {
  const identity = holder.identity as unknown as ProcessIdentity | null;
  const verdict = verifyProcessIdentity({ pid: holder.pid, identity, processStartedAt: holder.started_at });
  // Without /proc the identity cannot be proven: a live pid then counts as the holder (never two supervisors).
  return verdict === 'alive' || verdict === 'unproven';
};

/** The live holder of the run's supervisor slot, or null when free (or held by a dead process). */
export const currentHolder = (runDir: string): Holder | null => {
  const holder = readHolder(supervisorFile(runDir));
  return holder !== null && isAlive(holder) ? holder : null;
};

/** The refusal a second supervisor gets: names the holder (pid, what it is, since when). */
export const alreadySupervised = (runDir: string, holder: Holder): CaptainError =>
  new CaptainError(
    'USAGE',
    `run ${runDir} is already supervised by pid ${holder.pid} (${holder.command}, since ${holder.started_at}); ` +
      `stop it with \`kill ${holder.pid}\`, or let it work (see ${supervisorFile(runDir)})`,
    { data: { holder } },
  );

/**
 * Takes the run's supervisor slot for this process, or throws a USAGE CaptainError naming the live
 * holder. Returns the release function (removes `supervisor.json` if it still names this holder).
 */
export const acquireSupervisorSlot = async (runDir: string, command: string): Promise<() => void> => {
  const path = supervisorFile(runDir);
  const me: Holder = {
    pid: process.pid,
    identity: captureProcessIdentity(process.pid) as unknown as JsonObject | null,
    started_at: formatRfc3339(Date.now()),
    command,
  };
  await withRecordLock(
    path,
    (lock) => {
      const holder = readHolder(path);
      if (holder !== null && isAlive(holder)) {
        throw alreadySupervised(runDir, holder);
      }
      lock.assertHeld();
      // Free, or its holder died (SIGKILL, power loss): take it over now.
      writeJsonAtomicSync(path, me);
    },
    { waitMs: SUPERVISOR_SLOT_LOCK_WAIT_MS },
  );
  return () => {
    const holder = readHolder(path);
    if (holder?.pid === me.pid && holder.started_at === me.started_at) rmSync(path, { force: true });
  };
};
