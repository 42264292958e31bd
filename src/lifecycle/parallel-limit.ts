/**
 * `--max-parallel auto` (pure): how many workers of a run may run at once on this machine, from its
 * cores and free memory (MemAvailable of /proc/meminfo, read at the edge: src/process/meminfo.ts).
 *
 *   limit = max(1, min(cores × per_core, floor((MemAvailable − floor) / per_worker)))
 *   hold  = MemAvailable < floor
 *
 * evaluated again at every supervisor pass. It is conservative on purpose: MemAvailable already
 * lacks what the running workers use, so as they grow the limit shrinks and no new worker starts
 * until memory comes back (never a burst of launches while the last ones are still starting up and
 * have not taken their memory yet). Below the floor nothing new launches (queued workers wait,
 * saying why). Without /proc/meminfo the cores term alone decides. The constants are in
 * src/config/defaults.ts.
 */
import { AUTO_PARALLEL_MEMORY_FLOOR_BYTES, AUTO_PARALLEL_WORKER_MEMORY_BYTES, AUTO_PARALLEL_WORKERS_PER_CORE } from '../config/defaults.js';

export interface MachineLoad {
  cores: number;
  /** MemAvailable in bytes; null when unknown (no /proc/meminfo). */
  memAvailableBytes: number | null;
}

export interface AutoParallelRule {
  workersPerCore: number;
  memoryFloorBytes: number;
  workerMemoryBytes: number;
}

export const DEFAULT_AUTO_PARALLEL_RULE: AutoParallelRule = {
  workersPerCore: AUTO_PARALLEL_WORKERS_PER_CORE,
  memoryFloorBytes: AUTO_PARALLEL_MEMORY_FLOOR_BYTES,
  workerMemoryBytes: AUTO_PARALLEL_WORKER_MEMORY_BYTES,
};

export interface AutoParallelDecision {
  /** How many workers of the run may run at once now. */
  limit: number;
  /** Free memory is under the floor: launch nothing. */
  hold: boolean;
  /** Why launches are held (for the queued records and status); null when not held. */
  reason: string | null;
}

const mib = (bytes: number): string => `${Math.round(bytes / (1024 * 1024))} MiB`;

/** The rule above, for a machine now. */
export const autoParallelLimit = (machine: MachineLoad, rule: AutoParallelRule = DEFAULT_AUTO_PARALLEL_RULE): AutoParallelDecision => {
  const byCores = Math.max(1, Math.floor(machine.cores) * rule.workersPerCore);
  if (machine.memAvailableBytes === null) return { limit: byCores, hold: false, reason: null };
  const fit = Math.max(0, Math.floor((machine.memAvailableBytes - rule.memoryFloorBytes) / rule.workerMemoryBytes));
  const limit = Math.max(1, Math.min(byCores, fit));
  const hold = machine.memAvailableBytes < rule.memoryFloorBytes;
  return { limit, hold, reason: hold ? `free memory ${mib(machine.memAvailableBytes)} under the floor of ${mib(rule.memoryFloorBytes)} (--max-parallel auto)` : null };
};
