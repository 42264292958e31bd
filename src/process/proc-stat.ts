/**
 * Reading Linux `/proc` directly: a process's state, parent, group, session and start time, the
 * boot time and the boot id. Nothing here forks a process (upstream forked `kill -0` per check).
 * On a system without `/proc` every reader returns null.
 */
import { closeSync, openSync, readFileSync, readlinkSync, readSync } from 'node:fs';
import { CLOCK_TICKS_PER_SECOND } from '../config/defaults.js';
import { remembering } from '../util/remember.js';

/** The fields of `/proc/<pid>/stat` captain uses (see proc(5)). */
export interface ProcStat {
  pid: number;
  /** One letter: R running, S sleeping, D disk sleep, T stopped, Z zombie, X dead, … */
  state: string;
  ppid: number;
  /** Process group id. */
  pgrp: number;
  session: number;
  /** Field 22 `starttime`: clock ticks after boot at which the process started. */
  startTicks: number;
}

/** Whether `value` can name a real process: a positive safe integer. */
export const isValidPid = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value > 0;

const toInteger = (text: string | undefined): number | undefined => {
  if (text === undefined || !/^-?\d+$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
};

/** Where starttime (field 22) is among the fields after `comm`. */
const STARTTIME_FIELD = 19;

const isSpace = (code: number): boolean => code === 0x20 || (code >= 0x09 && code <= 0x0d);

/**
 * The whitespace-separated fields of `text` from `from` on, as `text.slice(from).trim().split(/\s+/)`
 * gives them (for the whitespace the kernel writes), up to starttime: only the ones captain uses
 * (state, ppid, pgrp, session, starttime) are cut out, the others are left undefined.
 */
const statFields = (text: string, from: number): (string | undefined)[] => {
  const fields: (string | undefined)[] = [];
  let at = from;
  for (let index = 0; index <= STARTTIME_FIELD; index += 1) {
    while (at < text.length && isSpace(text.charCodeAt(at))) at += 1;
    if (at >= text.length) break;
    const start = at;
    while (at < text.length && !isSpace(text.charCodeAt(at))) at += 1;
    fields.push(index <= 3 || index === STARTTIME_FIELD ? text.slice(start, at) : undefined);
  }
  return fields;
};

/**
 * Parses the text of a `/proc/<pid>/stat` file. `comm` (field 2) is wrapped in parentheses and
 * may itself hold spaces and parentheses, so the fields after it are split after the LAST `)`.
 * Returns null for text that is not a stat line.
 */
export const parseProcStat = (text: string): ProcStat | null => {
  const open = text.indexOf(' (');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const pid = toInteger(text.slice(0, open));
  // After ") ": state(3) ppid(4) pgrp(5) session(6) tty_nr(7) tpgid(8) flags(9) minflt(10)
  // cminflt(11) majflt(12) cmajflt(13) utime(14) stime(15) cutime(16) cstime(17) priority(18)
  // nice(19) num_threads(20) itrealvalue(21) starttime(22). Only those are cut out of the text (a
  // status reads one stat line per running worker: no array of all 50 fields each time).
  const fields = statFields(text, close + 1);
  const state = fields[0];
  const ppid = toInteger(fields[1]);
  const pgrp = toInteger(fields[2]);
  const session = toInteger(fields[3]);
  const startTicks = toInteger(fields[STARTTIME_FIELD]);
  if (pid === undefined || state === undefined || !/^[A-Za-z]$/.test(state)) return null;
  if (ppid === undefined || pgrp === undefined || session === undefined || startTicks === undefined) return null;
  return { pid, state, ppid, pgrp, session, startTicks };
};

/** One buffer for every `/proc/<pid>/stat` read (a stat line is a few hundred bytes). */
let statBuffer = Buffer.allocUnsafe(4096);

/**
 * The whole of a small `/proc` file: open, read until a short read, close (readFileSync would add
 * an fstat, which reports size 0 for `/proc`, and a read of 0 bytes: two syscalls of five, and the
 * status refresh reads one such file per running worker).
 */
const readProcFile = (path: string): string => {
  const fd = openSync(path, 'r');
  try {
    let length = 0;
    for (;;) {
      const read = readSync(fd, statBuffer, length, statBuffer.length - length, null);
      length += read;
      if (read === 0 || length < statBuffer.length) return statBuffer.toString('utf8', 0, length);
      const bigger = Buffer.allocUnsafe(statBuffer.length * 2);
      statBuffer.copy(bigger, 0, 0, length);
      statBuffer = bigger;
    }
  } finally {
    closeSync(fd);
  }
};

/** The `/proc/<pid>/stat` fields of a process, or null if there is no such process (or no `/proc`). */
export const readProcStat = (pid: number): ProcStat | null => {
  if (!isValidPid(pid)) return null;
  let text: string;
  try {
    text = readProcFile(`/proc/${pid}/stat`);
  } catch {
    return null;
  }
  const stat = parseProcStat(text);
  return stat !== null && stat.pid === pid ? stat : null;
};

/**
 * Whether `pid` is a process that runs a program now: its `/proc/<pid>/exe` link reads. One
 * readlink, against open + read + close for the stat line, which the kernel formats anew on every
 * read (~4 µs against ~10 µs). True proves what a live stat line would: the process exists and
 * still has its memory, which it gives up on exit before it turns zombie (Z) or dead (X). False
 * proves nothing: no such process, a zombie, a kernel thread, or a process this user may not
 * inspect (EACCES): read its stat line to tell.
 */
export const runsProgram = (pid: number): boolean => {
  if (!isValidPid(pid)) return false;
  try {
    readlinkSync(`/proc/${pid}/exe`, 'buffer');
    return true;
  } catch {
    return false;
  }
};

/**
 * A {@link readProcStat} that reads each pid once and then answers from memory: for one pass over
 * many records (a status), where several records may name the same process. Never for deciding
 * to signal: that reads afresh.
 */
export const rememberingProcStat = (): ((pid: number) => ProcStat | null) => remembering(readProcStat);

/** Whether `/proc` is mounted and readable, i.e. whether the readers here can be trusted. */
export const procAvailable = (): boolean => readProcStat(process.pid) !== null;

let cachedBootTimeMs: number | null | undefined;
let cachedBootId: string | null | undefined;

/**
 * Epoch milliseconds of the last boot, cached; null without `/proc`. From `/proc/uptime` (10 ms
 * resolution), checked against `btime` in `/proc/stat` (whole seconds): the finer one is used when
 * they agree to within a second, else `btime`.
 */
export const bootTimeMs = (): number | null => {
  if (cachedBootTimeMs !== undefined) return cachedBootTimeMs;
  let seconds: number | undefined;
  try {
    const match = /^btime\s+(\d+)\s*$/m.exec(readFileSync('/proc/stat', 'utf8'));
    seconds = toInteger(match?.[1]);
  } catch {
    seconds = undefined;
  }
  if (seconds === undefined) {
    cachedBootTimeMs = null;
    return null;
  }
  let fine: number | undefined;
  try {
    const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    if (Number.isFinite(uptime)) fine = Math.round(Date.now() - uptime * 1000);
  } catch {
    fine = undefined;
  }
  cachedBootTimeMs = fine !== undefined && Math.abs(fine - seconds * 1000) < 1_000 ? fine : seconds * 1000;
  return cachedBootTimeMs;
};

/** This boot's random id (`/proc/sys/kernel/random/boot_id`), cached; null without `/proc`. */
export const bootId = (): string | null => {
  if (cachedBootId !== undefined) return cachedBootId;
  try {
    const text = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    cachedBootId = text === '' ? null : text;
  } catch {
    cachedBootId = null;
  }
  return cachedBootId;
};

/**
 * Epoch milliseconds at which a process started, from its `startTicks`. Accurate to a few clock
 * ticks (see {@link bootTimeMs}); null when the boot time is unknown.
 */
export const startTimeMs = (startTicks: number): number | null => {
  const boot = bootTimeMs();
  return boot === null ? null : boot + Math.round((startTicks * 1000) / CLOCK_TICKS_PER_SECOND);
};
