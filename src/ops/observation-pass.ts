/**
 * What one pass over many running records (a status, a supervisor tick) looks up once instead of
 * once per record: each pid's `/proc/<pid>/stat` and each folder's real path. A pass lasts well
 * under a second and derives what it shows at its own instants, so what it saw of a process or a
 * folder at its start is as good as a look per record; decisions to signal a process never use it
 * (they read `/proc` afresh right before the signal).
 */
import type { ProcStatReader } from '../process/identity.js';
import { readProcStat, rememberingProcStat, runsProgram } from '../process/proc-stat.js';
import { remembering } from '../util/remember.js';
import { passFolderResolver, realFolder, type FolderResolver } from '../store/paths.js';

export interface ObservationPass {
  procStat: ProcStatReader;
  /** Whether a pid runs a program (`runsProgram`, remembered): the cheaper first look of `isPidAlive`, whose `true` settles liveness without `procStat`. */
  runsProgram?: (pid: number) => boolean;
  folders: FolderResolver;
  /** Whether observations that change nothing keep their witness (observation-witness.ts: one more lstat for captain's launches); a status with a record cache wants them. */
  witnesses?: boolean;
}

/**
 * A new pass: nothing remembered yet. `procStat`: a reader of its own (a test double), which then
 * decides every look at a process alone (no `runsProgram` look before it).
 */
export const startObservationPass = (opts: { witnesses?: boolean; procStat?: ProcStatReader } = {}): ObservationPass => ({
  ...(opts.procStat === undefined ? { procStat: rememberingProcStat(), runsProgram: remembering(runsProgram) } : { procStat: opts.procStat }),
  folders: passFolderResolver(),
  witnesses: opts.witnesses === true,
});

/** No pass: every look is fresh (one record observed on its own, or under its lock). */
export const FRESH_LOOKS: ObservationPass = { procStat: readProcStat, folders: realFolder };
