/** The machine's load for `--max-parallel auto`: its cores and MemAvailable from /proc/meminfo. */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { MachineLoad } from '../lifecycle/parallel-limit.js';

/** MemAvailable of a /proc/meminfo text in bytes, or null when it has none. */
export const parseMemAvailable = (text: string): number | null => {
  const match = /^MemAvailable:\s+(\d+)\s*kB$/m.exec(text);
  return match === null ? null : Number(match[1]) * 1024;
};

/** MemAvailable in bytes, or null where /proc/meminfo cannot be read. */
export const readMemAvailable = (path = '/proc/meminfo'): number | null => {
  try {
    return parseMemAvailable(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
};

/** The cores this process may use and the memory available now. */
export const readMachineLoad = (): MachineLoad => ({ cores: availableParallelism(), memAvailableBytes: readMemAvailable() });
