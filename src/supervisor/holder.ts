/**
 * One supervisor per run: `supervisor.json` in the run directory, created exclusively, names the
 * holder (pid, process identity, since when). A second supervisor is refused with the holder's
 * name; a holder that died (even by SIGKILL) is detected from its recorded identity and replaced
 * at once, without waiting for a timeout.
 */
import { closeSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CaptainError } from '../errors.js';
import { captureProcessIdentity, verifyProcessIdentity, type ProcessIdentity } from '../process/identity.js';
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
    const value: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return isJsonObject(value) && typeof value.pid === 'number' ? (value as Holder) : null;
  } catch {
    return null;
  }
};

/** The live holder of the run's supervisor slot, or null when free (or held by a dead process). */
export const currentHolder = (runDir: string): Holder | null => {
  const holder = readHolder(supervisorFile(runDir));
  if (holder === null) return null;
  const identity = holder.identity as unknown as ProcessIdentity | null;
  const verdict = verifyProcessIdentity({ pid: holder.pid, identity });
  return verdict === 'alive' ? holder : null;
};

/** Takes the slot or throws naming the live holder. Returns a release function. */
export const acquireSupervisorSlot = (runDir: string, command: string): (() => void) => {
  const path = supervisorFile(runDir);
  const me: Holder = {
    pid: process.pid,
    identity: captureProcessIdentity(process.pid) as unknown as JsonObject | null,
    started_at: formatRfc3339(Date.now()),
    command,
  };
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, `${JSON.stringify(me, null, 2)}\n`);
      } finally {
        closeSync(fd);
      }
      return () => {
        if (readHolder(path)?.pid === process.pid) rmSync(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readHolder(path);
    if (holder !== null && currentHolder(runDir) !== null) {
      throw new CaptainError(
        'USAGE',
        `run ${runDir} is already supervised by pid ${holder.pid} (${holder.command}, since ${holder.started_at}); stop it with \`kill ${holder.pid}\` or let it be`,
        { data: { holder } },
      );
    }
    // A dead holder: move its file aside (one racer wins the rename) and try again.
    try {
      renameSync(path, `${path}.stale-${process.pid}`);
      rmSync(`${path}.stale-${process.pid}`, { force: true });
    } catch {
      // another process moved it first
    }
  }
  throw new CaptainError('IO', `could not take the supervisor slot of ${runDir} (${path} keeps changing)`);
};
