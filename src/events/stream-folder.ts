/**
 * An incremental parser for live worker output (`captain logs --follow`, live views): feed it chunks as
 * they arrive, split anywhere, and it returns the typed events of each completed line and keeps a
 * running state. The artifacts use the same scanners as the completion snapshot.
 */
import { StringDecoder } from 'node:string_decoder';
import { STREAM_FOLDER_MAX_LINE_CHARS } from '../config/defaults.js';
import type { JsonObject } from '../util/json.js';
import { parseLine } from './lines.js';
import { createKindScanner, eventsOf } from './scanner.js';
import type { WorkerEvent, WorkerEventType, WorkerKind } from './types.js';

export interface StreamFolderState {
  kind: WorkerKind;
  /** Complete lines seen (blank ones included). */
  lines: number;
  /** Events returned so far, and how many of each type. */
  events: number;
  countsByType: Partial<Record<WorkerEventType, number>>;
  /** Events captain does not interpret (`progress`) and lines that failed validation (`unknown`). */
  progressEvents: number;
  unknownEvents: number;
  /** `nowMs` of the last push or flush that produced an event. */
  lastEventAtMs: number | null;
  threadId: string | null;
  sessionId: string | null;
  lastMessage: string | null;
  usage: JsonObject | null;
  costUsd: number | null;
  /** Type of the terminal event seen so far (`turn.completed`, `turn.failed`, `result`), if any. */
  terminalEvent: string | null;
  /** The last error a worker reported (error events, failed turns, error results). */
  lastError: string | null;
  /** Shell commands run (codex `command_execution`) and tool calls made (claude `tool_use`). */
  toolCalls: number;
  /** Lines dropped for exceeding the line length limit. */
  droppedLines: number;
  /** Characters (UTF-16 units) of the partial line waiting for its newline. */
  pendingChars: number;
}

export interface StreamFolder {
  /** Feeds a chunk (text, or bytes decoded as UTF-8 across chunk boundaries); returns the events of the lines it completed. */
  push(chunk: string | Uint8Array, nowMs?: number): WorkerEvent[];
  /** Ends the stream: parses a last line that has no newline. */
  flush(nowMs?: number): WorkerEvent[];
  state(): StreamFolderState;
}

export interface StreamFolderOptions {
  /** Longest line kept while waiting for its newline. @default STREAM_FOLDER_MAX_LINE_CHARS */
  maxLineChars?: number;
}

const errorTextOf = (event: WorkerEvent): string | null => {
  switch (event.type) {
    case 'error':
      return event.message;
    case 'turn_failed':
      return event.message ?? 'turn failed';
    case 'result':
      return event.isError ? (event.text ?? 'error result') : null;
    default:
      return null;
  }
};

/** A fresh folder for a worker of `kind`. Never throws on malformed input. */
export const createStreamFolder = (kind: WorkerKind, options: StreamFolderOptions = {}): StreamFolder => {
  const maxLineChars = options.maxLineChars ?? STREAM_FOLDER_MAX_LINE_CHARS;
  const scanner = createKindScanner(kind);
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let discarding = false;
  const counters = {
    lines: 0,
    events: 0,
    countsByType: {} as Partial<Record<WorkerEventType, number>>,
    progressEvents: 0,
    unknownEvents: 0,
    lastEventAtMs: null as number | null,
    lastError: null as string | null,
    toolCalls: 0,
    droppedLines: 0,
  };

  const record = (events: WorkerEvent[], out: WorkerEvent[]): void => {
    for (const event of events) {
      counters.events += 1;
      counters.countsByType[event.type] = (counters.countsByType[event.type] ?? 0) + 1;
      if (event.type === 'progress') counters.progressEvents += 1;
      if (event.type === 'unknown') counters.unknownEvents += 1;
      if (event.type === 'command_completed' || event.type === 'tool_use') counters.toolCalls += 1;
      const error = errorTextOf(event);
      if (error !== null) counters.lastError = error;
      out.push(event);
    }
  };

  const takeLine = (raw: string, out: WorkerEvent[]): void => {
    counters.lines += 1;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const line = parseLine(text);
    const events = eventsOf(kind, line);
    scanner.add(line, events);
    record(events, out);
  };

  const drop = (out: WorkerEvent[]): void => {
    counters.lines += 1;
    counters.droppedLines += 1;
    record([{ type: 'unknown', reason: `line longer than ${maxLineChars} characters dropped`, line: pending.slice(0, 200) }], out);
    pending = '';
    discarding = true;
  };

  const feed = (text: string, out: WorkerEvent[]): void => {
    let start = 0;
    for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
      const piece = text.slice(start, newline);
      start = newline + 1;
      if (discarding) {
        discarding = false; // the dropped line ends here
        continue;
      }
      if (pending.length + piece.length > maxLineChars) {
        pending += piece.slice(0, 200);
        drop(out);
        discarding = false; // ...and it ended at this newline
        continue;
      }
      takeLine(pending + piece, out);
      pending = '';
    }
    if (start < text.length && !discarding) {
      pending += text.slice(start);
      if (pending.length > maxLineChars) drop(out);
    }
  };

  const stamp = (out: WorkerEvent[], nowMs: number): WorkerEvent[] => {
    if (out.length > 0) counters.lastEventAtMs = nowMs;
    return out;
  };

  return {
    push(chunk, nowMs = Date.now()) {
      const out: WorkerEvent[] = [];
      feed(typeof chunk === 'string' ? chunk : decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)), out);
      return stamp(out, nowMs);
    },
    flush(nowMs = Date.now()) {
      const out: WorkerEvent[] = [];
      feed(decoder.end(), out);
      if (pending !== '' && !discarding) takeLine(pending, out);
      pending = '';
      discarding = false;
      return stamp(out, nowMs);
    },
    state() {
      const artifacts = scanner.artifacts();
      return {
        kind,
        ...counters,
        countsByType: { ...counters.countsByType },
        threadId: artifacts.threadId,
        sessionId: artifacts.sessionId,
        lastMessage: artifacts.lastMessage,
        usage: artifacts.usage,
        costUsd: artifacts.costUsd,
        terminalEvent: artifacts.terminal?.type ?? null,
        pendingChars: pending.length,
      };
    },
  };
};

/** Folds a whole text at once (the reference the incremental folder must agree with). */
export const foldStreamText = (kind: WorkerKind, text: string, nowMs = 0): { events: WorkerEvent[]; state: StreamFolderState } => {
  const folder = createStreamFolder(kind);
  const events = [...folder.push(text, nowMs), ...folder.flush(nowMs)];
  return { events, state: folder.state() };
};
