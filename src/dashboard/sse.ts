/**
 * Server-sent event streams, driven by `watchRun` (no polling by the page): a run's transition log
 * from a cursor (each event's SSE id is the log cursor after it, so a reconnecting EventSource's
 * `Last-Event-ID` resumes with no event missed or repeated), plus a `changed` event whenever records
 * or worker files change; and a worker's log lines from a byte cursor in its raw events file.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DASHBOARD_SSE_KEEPALIVE_MS } from '../config/defaults.js';
import type { RunContext } from '../ops/context.js';
import { watchRun } from '../store/watch-run.js';
import { workerLog } from './api.js';

const startStream = (req: IncomingMessage, res: ServerResponse): { closed: () => boolean; send: (text: string) => void; signal: AbortSignal } => {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  res.write('retry: 1000\n\n');
  const abort = new AbortController();
  const keepalive = setInterval(() => res.write(': keepalive\n\n'), DASHBOARD_SSE_KEEPALIVE_MS);
  const end = (): void => {
    clearInterval(keepalive);
    abort.abort();
  };
  req.on('close', end);
  res.on('close', end);
  return { closed: () => abort.signal.aborted, send: (text) => void res.write(text), signal: abort.signal };
};

/** The cursor a client resumes from: `Last-Event-ID` (a reconnect), else `?cursor=`, else 0. */
export const resumeCursor = (req: IncomingMessage, url: URL): number => {
  const raw = req.headers['last-event-id'] ?? url.searchParams.get('cursor') ?? '0';
  const n = Number(Array.isArray(raw) ? raw[0] : raw);
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
};

export const streamRunEvents = async (ctx: RunContext, req: IncomingMessage, res: ServerResponse, cursor: number): Promise<void> => {
  const stream = startStream(req, res);
  const watch = watchRun(ctx.runDir, { cursor, records: true, rawEvents: true, signal: stream.signal });
  try {
    while (!stream.closed()) {
      const changes = await watch.batch();
      const kinds = new Set<string>();
      for (const change of changes) {
        if (change.kind === 'transition') stream.send(`id: ${change.cursor}\nevent: log\ndata: ${JSON.stringify(change.event)}\n\n`);
        else kinds.add(change.kind);
      }
      if (kinds.size > 0) stream.send(`event: changed\ndata: ${JSON.stringify({ kinds: [...kinds] })}\n\n`);
    }
  } finally {
    watch.close();
    res.end();
  }
};

export const streamWorkerLog = async (ctx: RunContext, delegationId: string, req: IncomingMessage, res: ServerResponse, start: number): Promise<void> => {
  const stream = startStream(req, res);
  const watch = watchRun(ctx.runDir, { records: false, rawEvents: true, signal: stream.signal });
  let cursor = start;
  const drain = (): void => {
    for (;;) {
      const page = workerLog(ctx, delegationId, cursor) as unknown as { events: Array<{ text: string }>; next_cursor: number; more: boolean };
      if (page.events.length > 0 || page.next_cursor !== cursor) {
        cursor = page.next_cursor;
        stream.send(`id: ${cursor}\nevent: lines\ndata: ${JSON.stringify(page.events.map((e) => e.text))}\n\n`);
      }
      if (!page.more) return;
    }
  };
  try {
    drain();
    while (!stream.closed()) {
      const changes = await watch.batch();
      if (changes.length > 0) drain();
    }
  } catch (error) {
    stream.send(`event: failure\ndata: ${JSON.stringify({ error: error instanceof Error ? error.message : String(error) })}\n\n`);
  } finally {
    watch.close();
    res.end();
  }
};
