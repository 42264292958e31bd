/**
 * The run's append-only `events.jsonl`: one JSON object per line, appended with O_APPEND in a
 * single write (so concurrent appenders never interleave a line). A reader's cursor is a byte
 * offset, so consecutive reads never miss or repeat an event, and reading is O(new bytes).
 *
 * Appends are whole lines or nothing. A short write (the disk filled up mid-line) is undone by
 * truncating our own bytes off again; if that cannot be proven safe (something was appended after
 * them) or the process died mid-write, the file is left ending in a torn line, and the next append
 * starts with a newline first, so the torn bytes become one unreadable line of their own (skipped
 * by readers) instead of swallowing the next event. A newline is added rather than the tail cut
 * back to the last newline because cutting loses data: a tail whose only missing byte is the
 * newline is a whole, readable event, and cutting races with a concurrent appender whose whole
 * line may already follow the torn one.
 */
import { closeSync, constants as fsConstants, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { CaptainError, describeError } from '../errors.js';
import type { JsonObject } from '../util/json.js';
import { isJsonObject } from '../util/json.js';
import { runLayout } from './paths.js';
import { describeFileType } from './regular-file.js';

export interface RunEvent extends JsonObject {
  event: string;
  at: string;
}

const NEWLINE = 0x0a;

const appendFailed = (path: string, reason: string, cause?: unknown): CaptainError =>
  new CaptainError('IO', `${path}: could not append to the run's event log (${reason})`, { cause, data: { path, reason } });

/** Whether the file's last byte (of `size`) is a newline; true for an empty file. */
const endsWithNewline = (fd: number, size: number): boolean => {
  if (size === 0) return true;
  const last = Buffer.alloc(1);
  return readSync(fd, last, 0, 1, size - 1) === 1 && last[0] === NEWLINE;
};

/** Whether the file's bytes `[end - bytes.length, end)` are `bytes`. */
const endsWith = (fd: number, end: number, bytes: Buffer): boolean => {
  if (end < bytes.length) return false;
  const tail = Buffer.alloc(bytes.length);
  return readSync(fd, tail, 0, bytes.length, end - bytes.length) === bytes.length && tail.equals(bytes);
};

/**
 * Appends one event line, whole or not at all (see the module comment); returns the cursor just
 * after it. `events.jsonl` must be a regular file (a FIFO or device there is refused, never waited on).
 * @throws CaptainError IO naming the file when it cannot be opened or the line cannot be written
 *   whole (e.g. ENOSPC); nothing of the line is left behind then, when that can be proven safe.
 */
export const appendRunEvent = (runDir: string, event: RunEvent): number => {
  const path = runLayout(runDir).eventsJsonl;
  let fd: number;
  try {
    // Read-write (to look at the last byte; writes still go to the end), non-blocking: a FIFO
    // there must not hang the open.
    fd = openSync(path, fsConstants.O_RDWR | fsConstants.O_APPEND | fsConstants.O_CREAT | fsConstants.O_NONBLOCK | fsConstants.O_NOCTTY, 0o644);
  } catch (error) {
    throw appendFailed(path, describeError(error), error);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw appendFailed(path, `${describeFileType(stat)}, not a regular file`);
    const line = `${JSON.stringify(event)}\n`;
    // A torn last line (a short write or a crash mid-append): end it first, in the same write.
    const bytes = Buffer.from(endsWithNewline(fd, stat.size) ? line : `\n${line}`, 'utf8');
    let written: number;
    try {
      written = writeSync(fd, bytes);
    } catch (error) {
      throw appendFailed(path, describeError(error), error);
    }
    if (written < bytes.length) {
      const end = fstatSync(fd).size;
      // Our bytes are the file's last ones unless someone appended since: only then cut them off again.
      const undone = written === 0 || (endsWith(fd, end, bytes.subarray(0, written)) && tryTruncate(fd, end - written));
      throw appendFailed(
        path,
        `short write: ${written} of ${bytes.length} bytes, the disk may be full; ` +
          (undone ? 'nothing of the line was kept' : 'the torn line is ended by the next append'),
      );
    }
    return fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
};

const tryTruncate = (fd: number, length: number): boolean => {
  try {
    ftruncateSync(fd, length);
    return true;
  } catch {
    return false;
  }
};

export interface EventPage {
  events: Array<RunEvent & { cursor: number }>;
  /** Pass back to continue after the last returned event. */
  next_cursor: number;
}

/**
 * Events after `cursor` (a byte offset from an earlier page; 0 = from the start), at most `limit`
 * events and about `maxBytes` bytes. A partial last line (an append in flight, or torn by a crash
 * or a full disk) is left for the next read. Lines that are not JSON objects (a torn line ended by
 * a later append) are skipped. A log that is not a regular
 * file (a FIFO, a device) is refused with an IO error, never waited on.
 */
export const readRunEvents = (runDir: string, cursor = 0, opts: { limit?: number; maxBytes?: number } = {}): EventPage => {
  const limit = opts.limit ?? 1_000;
  const maxBytes = opts.maxBytes ?? 1024 * 1024;
  let fd: number;
  try {
    fd = openSync(runLayout(runDir).eventsJsonl, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK | fsConstants.O_NOCTTY);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { events: [], next_cursor: cursor };
    throw error;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      throw new CaptainError('IO', `${runLayout(runDir).eventsJsonl}: ${describeFileType(stat)}, not a regular file; the run's event log cannot be read`, {
        data: { path: runLayout(runDir).eventsJsonl, reason: 'not_regular' },
      });
    }
    const size = stat.size;
    const start = Math.min(Math.max(cursor, 0), size);
    const length = Math.min(size - start, maxBytes);
    const buffer = Buffer.alloc(length);
    const read = readSync(fd, buffer, 0, length, start);
    const events: EventPage['events'] = [];
    let offset = 0;
    while (events.length < limit) {
      const newline = buffer.indexOf(10, offset);
      if (newline < 0 || newline >= read) break;
      const line = buffer.subarray(offset, newline).toString('utf8');
      offset = newline + 1;
      try {
        const parsed: unknown = JSON.parse(line);
        if (isJsonObject(parsed) && typeof parsed.event === 'string') events.push({ ...(parsed as RunEvent), cursor: start + offset });
      } catch {
        // A corrupt or torn line is skipped; the log stays readable.
      }
    }
    return { events, next_cursor: start + offset };
  } finally {
    closeSync(fd);
  }
};
