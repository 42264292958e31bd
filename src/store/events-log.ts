/**
 * The run's append-only `events.jsonl`: one JSON object per line, appended with O_APPEND in a
 * single write (so concurrent appenders never interleave a line). A reader's cursor is a byte
 * offset, so consecutive reads never miss or repeat an event, and reading is O(new bytes).
 */
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import type { JsonObject } from '../util/json.js';
import { isJsonObject } from '../util/json.js';
import { runLayout } from './paths.js';

export interface RunEvent extends JsonObject {
  event: string;
  at: string;
}

/** Appends one event line; returns the cursor just after it. */
export const appendRunEvent = (runDir: string, event: RunEvent): number => {
  const fd = openSync(runLayout(runDir).eventsJsonl, 'a');
  try {
    writeSync(fd, `${JSON.stringify(event)}\n`);
    return fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
};

export interface EventPage {
  events: Array<RunEvent & { cursor: number }>;
  /** Pass back to continue after the last returned event. */
  next_cursor: number;
}

/**
 * Events after `cursor` (a byte offset from an earlier page; 0 = from the start), at most `limit`
 * events and about `maxBytes` bytes. A partial last line (an append in flight) is left for the
 * next read. Lines that are not JSON objects are skipped.
 */
export const readRunEvents = (runDir: string, cursor = 0, opts: { limit?: number; maxBytes?: number } = {}): EventPage => {
  const limit = opts.limit ?? 1_000;
  const maxBytes = opts.maxBytes ?? 1024 * 1024;
  let fd: number;
  try {
    fd = openSync(runLayout(runDir).eventsJsonl, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { events: [], next_cursor: cursor };
    throw error;
  }
  try {
    const size = fstatSync(fd).size;
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
        // A corrupt line is skipped; the log stays readable.
      }
    }
    return { events, next_cursor: start + offset };
  } finally {
    closeSync(fd);
  }
};
