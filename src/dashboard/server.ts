/**
 * `captain dashboard`: a local web dashboard on 127.0.0.1 only. `startDashboard` serves the page,
 * the JSON API and the event streams, checks every request (see `auth.ts`), and returns the URL to
 * open (with the access token) and a `close()`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DASHBOARD_MAX_BODY_BYTES } from '../config/defaults.js';
import { CaptainError, isCaptainError } from '../errors.js';
import { isJsonObject, type JsonObject } from '../util/json.js';
import { listDashboardRuns, runAction, runContextFor, runView, workerView, type DashboardAction, type DashboardScope } from './api.js';
import { checkRequest, newToken, TOKEN_COOKIE } from './auth.js';
import { dashboardPage } from './page.js';
import { resumeCursor, streamRunEvents, streamWorkerLog } from './sse.js';

export interface DashboardOptions extends DashboardScope {
  /** @default 0 (a free port) */
  port?: number;
  /** @default a new random token */
  token?: string;
}

export interface Dashboard {
  /** `http://127.0.0.1:PORT/?token=…`: what to open. */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const sendJson = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
};

const STATUS_OF: Record<string, number> = { NOT_FOUND: 404, USAGE: 400, INVALID_RECORD: 422, PATH_OUTSIDE_RUN: 403 };

const sendError = (res: ServerResponse, error: unknown): void => {
  const code = isCaptainError(error) ? error.code : 'INTERNAL';
  sendJson(res, STATUS_OF[code] ?? 500, { error: error instanceof Error ? error.message : String(error), code });
};

const readBody = (req: IncomingMessage): Promise<JsonObject> =>
  new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > DASHBOARD_MAX_BODY_BYTES) {
        reject(new CaptainError('USAGE', `request body over ${DASHBOARD_MAX_BODY_BYTES} bytes`));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8').trim();
      if (text === '') return resolve({});
      try {
        const value: unknown = JSON.parse(text);
        resolve(isJsonObject(value) ? value : {});
      } catch {
        reject(new CaptainError('USAGE', 'the request body is not JSON'));
      }
    });
    req.on('error', reject);
  });

const ACTIONS = new Set<DashboardAction>(['reclaim', 'cancel', 'follow-up']);

export const startDashboard = async (options: DashboardOptions): Promise<Dashboard> => {
  const token = options.token ?? newToken();
  const scope: DashboardScope = { config: options.config, ...(options.workspace === undefined ? {} : { workspace: options.workspace }), ...(options.runDir === undefined ? {} : { runDir: options.runDir }) };
  // Fail now (not at the first request) when there is no workspace or run to show.
  listDashboardRuns(scope);
  let port = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const verdict = checkRequest(req, url, token, port);
    if (!verdict.ok) return sendJson(res, verdict.status, { error: verdict.reason });
    const parts = url.pathname.split('/').filter(Boolean).map((p) => decodeURIComponent(p));
    if (parts[0] !== 'api') {
      if (verdict.viaQuery) {
        // The token moves from the URL to a cookie the page's requests carry (never to other sites).
        url.searchParams.delete('token');
        res.writeHead(302, { location: `${url.pathname}${url.search}`, 'set-cookie': `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/` });
        return void res.end();
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'", 'x-frame-options': 'DENY' });
      return void res.end(dashboardPage(token));
    }
    const [, what, runId, sub, id, leaf] = parts;
    if (what !== 'runs') throw new CaptainError('NOT_FOUND', `no API ${url.pathname}`);
    if (req.method === 'POST') {
      if (runId === undefined || sub !== 'workers' || id === undefined || !ACTIONS.has(leaf as DashboardAction)) throw new CaptainError('NOT_FOUND', `no action ${url.pathname}`);
      const body = await readBody(req);
      return sendJson(res, 200, await runAction(runContextFor(scope, runId), id, leaf as DashboardAction, body));
    }
    if (runId === undefined) return sendJson(res, 200, listDashboardRuns(scope, true));
    const ctx = runContextFor(scope, runId);
    if (sub === undefined) return sendJson(res, 200, runView(ctx));
    if (sub === 'events' && id === undefined) return streamRunEvents(ctx, req, res, resumeCursor(req, url));
    if (sub === 'workers' && id !== undefined && leaf === undefined) return sendJson(res, 200, workerView(ctx, id));
    if (sub === 'workers' && id !== undefined && leaf === 'log') return streamWorkerLog(ctx, id, req, res, resumeCursor(req, url));
    throw new CaptainError('NOT_FOUND', `no API ${url.pathname}`);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, error);
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
