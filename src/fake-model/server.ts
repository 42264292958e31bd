/**
 * The fake model server: a loopback HTTP server (node:http only) that the real Codex CLI, Claude Code
 * and Gemini CLI talk to instead of a model provider, so they run offline with their real event streams.
 *
 * Routes: `POST /v1/responses` (OpenAI Responses API, Codex), `POST /v1/messages` (Anthropic Messages,
 * Claude Code), `POST /v1/messages/count_tokens`, `GET /v1/models`, the Gemini API
 * (`POST /v1beta/models/MODEL:streamGenerateContent`, `:generateContent`, `:countTokens`; Gemini CLI), and the control routes
 * `GET /_fake/health`, `GET /_fake/requests`, `POST /_fake/scenario`, `POST /_fake/reset`.
 * Each model request follows the scenario named by the last `[[fake:NAME:ARG...]]` marker in its user
 * text, else the server's default scenario, else `ok` (see scenario.ts for the list).
 */
import { setMaxListeners } from 'node:events';
import http from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { CaptainError, describeError } from '../errors.js';
import { parseJsonBody, readGeminiRequest, readMessagesRequest, readResponsesRequest, type Conversation, type FakeApi } from './conversation.js';
import { createGeminiEncoder } from './gemini-wire.js';
import { createMessagesEncoder } from './messages-wire.js';
import { planRequest, type FakeReply, type FakeScript, type Plan } from './plan.js';
import { createResponsesEncoder } from './responses-wire.js';
import { DEFAULT_SCENARIO, lastMarker, parseScenario } from './scenario.js';
import { splitText, type SseEvent, type WireEncoder } from './wire.js';

export { commandOutput, mcpToolCall, type FakeReply, type FakeScript } from './plan.js';
export type { Conversation } from './conversation.js';

/** One model request as the server saw it. */
export interface FakeRequestLogEntry {
  /** RFC 3339 arrival time. */
  t: string;
  method: string;
  /** Path without the query string (`/v1/responses`, `/v1/messages`). */
  path: string;
  api: FakeApi;
  /** The scenario spec that was applied (`steps:2:0.2`). */
  scenario: string;
  model: string;
  /** Tool results since the user's last turn (how far a multi-request scenario has got). */
  toolRounds: number;
  tools: string[];
  stream: boolean;
  /** The worker's session header, when it sends one. */
  sessionId: string | undefined;
}

export interface FakeModelServerOptions {
  /** Loopback address to listen on. @default '127.0.0.1' (anything not loopback is refused) */
  host?: string;
  /** Port; 0 picks a free one. @default 0 */
  port?: number;
  /** Scenario for requests without a marker. @default 'ok' */
  defaultScenario?: string;
  /** Called once per model request. */
  log?: (entry: FakeRequestLogEntry) => void;
  /** Scripted models for `script:NAME[:ARG...]`. */
  scripts?: Record<string, FakeScript>;
  /** Let Codex run shell tool calls as login shells (sources the user's profile). @default false */
  loginShell?: boolean;
  /** Time between `think` blocks and `stream` chunks (tests shorten it). @default FAKE_MODEL_TICK_MS */
  tickMs?: number;
}

export interface FakeModelServer {
  /** `http://127.0.0.1:PORT` (no trailing slash, no `/v1`). */
  url: string;
  port: number;
  /** Stops listening and ends every open request (hanging ones too). */
  close(): Promise<void>;
  /** The model requests served so far, oldest first. */
  requests(): FakeRequestLogEntry[];
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

const isLoopback = (host: string): boolean => LOOPBACK_HOSTS.has(host) || /^127(\.\d{1,3}){3}$/.test(host);

const SESSION_HEADERS = ['session_id', 'session-id', 'x-claude-code-session-id'];

/** The Gemini API's model routes: `/v1beta/models/MODEL:generateContent` (also `:streamGenerateContent`, `:countTokens`). */
const GEMINI_ROUTE = /^\/(v1beta|v1|v1alpha)\/models\/([^/:]+):(generateContent|streamGenerateContent|countTokens)$/;

const readBody = (req: http.IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

const sendJson = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
};

const writeEvents = (res: http.ServerResponse, events: SseEvent[]): void => {
  for (const { event, data } of events) res.write(`${event === '' ? '' : `event: ${event}\n`}data: ${JSON.stringify(data)}\n\n`);
};

const openStream = (res: http.ServerResponse, encoder: WireEncoder): void => {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    ...encoder.headers(),
  });
  writeEvents(res, encoder.open());
};

/** Resolves when `signal` aborts (never rejects). */
const untilAborted = (signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });

const isAbort = (error: unknown): boolean => error instanceof Error && error.name === 'AbortError';

/** Runs a plan against one response. Rejects with an AbortError when the client or the server goes away. */
const executePlan = async (
  plan: Plan,
  conversation: Conversation,
  encoder: WireEncoder,
  res: http.ServerResponse,
  signal: AbortSignal,
): Promise<void> => {
  const stream = conversation.stream;
  switch (plan.kind) {
    case 'hang':
      return untilAborted(signal);
    case 'drop': {
      const socket = res.socket;
      if (socket && typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
      else socket?.destroy();
      return;
    }
    case 'http-error':
      return sendJson(res, plan.status, encoder.errorBody(plan.status, plan.message), encoder.headers());
    case 'stream-fail':
      if (!stream) return sendJson(res, 500, encoder.errorBody(500, plan.message), encoder.headers());
      openStream(res, encoder);
      writeEvents(res, encoder.fail(plan.message));
      res.end();
      return;
    case 'hang-stream':
      if (stream) openStream(res, encoder);
      return untilAborted(signal);
    case 'answer': {
      const reply: FakeReply = plan.reply.kind === 'shell' ? encoder.shellCall(plan.reply.command) : plan.reply;
      if (plan.waitMs > 0) await sleep(plan.waitMs, undefined, { signal });
      if (!stream) {
        const extraTicks = plan.thoughts + (reply.kind === 'text' ? plan.chunks - 1 : 0);
        if (extraTicks > 0) await sleep(extraTicks * plan.tickMs, undefined, { signal });
        return sendJson(res, 200, encoder.body(plan.thoughts, reply), encoder.headers());
      }
      openStream(res, encoder);
      for (let i = 1; i <= plan.thoughts; i++) {
        await sleep(plan.tickMs, undefined, { signal });
        writeEvents(res, encoder.thought(i, plan.thoughts));
      }
      if (reply.kind === 'text') {
        writeEvents(res, encoder.textStart());
        const pieces = splitText(reply.text, plan.chunks);
        for (const [index, piece] of pieces.entries()) {
          if (index > 0) await sleep(plan.tickMs, undefined, { signal });
          writeEvents(res, encoder.textDelta(piece));
        }
        writeEvents(res, encoder.textEnd(reply.text));
      } else {
        writeEvents(res, encoder.toolCall(reply));
      }
      writeEvents(res, encoder.finish(reply));
      res.end();
      return;
    }
  }
};

/**
 * Starts the fake model server on a loopback address.
 * @throws CaptainError USAGE when `host` is not a loopback address.
 */
export const startFakeModelServer = async (options: FakeModelServerOptions = {}): Promise<FakeModelServer> => {
  const requestedHost = options.host ?? '127.0.0.1';
  if (!isLoopback(requestedHost)) {
    throw new CaptainError('USAGE', `fake model server: host "${requestedHost}" is not a loopback address (expected 127.0.0.1, ::1 or localhost)`);
  }
  const host = requestedHost === 'localhost' ? '127.0.0.1' : requestedHost;
  const initialDefault = options.defaultScenario;
  let defaultScenario = initialDefault;
  let log: FakeRequestLogEntry[] = [];
  const flakyCounts = new Map<string, number>();
  const scripts = options.scripts ?? {};
  const sockets = new Set<Socket>();
  const closing = new AbortController();
  // One listener per open model request: many hanging workers are normal here, not a leak.
  setMaxListeners(0, closing.signal);
  let idCounter = 0;
  const nextId = (prefix: string): string => `${prefix}_${process.pid}_${++idCounter}`;

  const handleModel = async (
    api: FakeApi,
    path: string,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    raw: string,
    gemini?: { model: string; stream: boolean },
  ): Promise<void> => {
    const body = parseJsonBody(raw);
    if (body === undefined) {
      return sendJson(res, 400, { error: { type: 'invalid_request_error', message: `fake model: ${path}: body is not a JSON object` } });
    }
    const conversation =
      api === 'openai.responses'
        ? readResponsesRequest(body)
        : api === 'anthropic.messages'
          ? readMessagesRequest(body)
          : readGeminiRequest(body, gemini?.model ?? '', gemini?.stream ?? false);
    let marker: string | undefined;
    for (const text of conversation.userTexts) marker = lastMarker(text) ?? marker;
    const spec = marker ?? defaultScenario ?? DEFAULT_SCENARIO;
    const sessionHeader = SESSION_HEADERS.map((name) => req.headers[name]).find((value) => typeof value === 'string');
    const sessionId = typeof sessionHeader === 'string' ? sessionHeader : undefined;
    const entry: FakeRequestLogEntry = {
      t: new Date().toISOString(),
      method: req.method ?? 'POST',
      path,
      api,
      scenario: spec,
      model: conversation.model,
      toolRounds: conversation.toolResults.length,
      tools: conversation.tools,
      stream: conversation.stream,
      sessionId,
    };
    log.push(entry);
    options.log?.(entry);

    const encoder =
      api === 'openai.responses'
        ? createResponsesEncoder({ conversation, bodyChars: raw.length, nextId, loginShell: options.loginShell ?? false })
        : api === 'anthropic.messages'
          ? createMessagesEncoder({ conversation, bodyChars: raw.length, nextId })
          : createGeminiEncoder({ conversation, bodyChars: raw.length, nextId });
    let plan: Plan;
    try {
      plan = await planRequest(parseScenario(spec), conversation, {
        scripts,
        flakyCounts,
        sessionKey: sessionId ?? conversation.userTexts[0] ?? '',
        ...(options.tickMs === undefined ? {} : { tickMs: options.tickMs }),
      });
    } catch (error) {
      const message = `fake model: scenario "${spec}" failed: ${describeError(error)}`;
      return sendJson(res, 500, encoder.errorBody(500, message), encoder.headers());
    }
    const requestAbort = new AbortController();
    const abortRequest = (): void => requestAbort.abort();
    res.on('close', abortRequest);
    closing.signal.addEventListener('abort', abortRequest, { once: true });
    try {
      await executePlan(plan, conversation, encoder, res, requestAbort.signal);
    } finally {
      closing.signal.removeEventListener('abort', abortRequest);
    }
  };

  const route = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const raw = await readBody(req);
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://fake').pathname.replace(/\/+$/, '') || '/';
    const key = `${method} ${path}`;
    const geminiRoute = method === 'POST' ? GEMINI_ROUTE.exec(path) : null;
    if (geminiRoute !== null) {
      const [, version, model = '', action] = geminiRoute;
      const modelPath = `/${version}/models/${model}`;
      if (action === 'countTokens') return sendJson(res, 200, { totalTokens: Math.max(1, Math.ceil(raw.length / 4)) });
      return handleModel('gemini.generate', `${modelPath}:${action}`, req, res, raw, { model, stream: action === 'streamGenerateContent' });
    }
    switch (key) {
      case 'POST /v1/responses':
        return handleModel('openai.responses', path, req, res, raw);
      case 'POST /v1/messages':
        return handleModel('anthropic.messages', path, req, res, raw);
      case 'POST /v1/messages/count_tokens':
        return sendJson(res, 200, { input_tokens: Math.max(1, Math.ceil(raw.length / 4)) });
      case 'GET /v1/models':
        return sendJson(res, 200, {
          object: 'list',
          data: ['gpt-5.5', 'claude-opus-5-5'].map((id) => ({
            id,
            object: 'model',
            type: 'model',
            display_name: id,
            created: 0,
            created_at: '1970-01-01T00:00:00Z',
            owned_by: 'fake',
          })),
          has_more: false,
        });
      case 'GET /_fake/health':
        return sendJson(res, 200, { ok: true, defaultScenario: defaultScenario ?? DEFAULT_SCENARIO, requests: log.length });
      case 'GET /_fake/requests':
        return sendJson(res, 200, log);
      case 'POST /_fake/scenario': {
        const json = parseJsonBody(raw);
        const value = json === undefined ? raw.trim() : json.scenario;
        if (typeof value !== 'string') {
          return sendJson(res, 400, { error: 'POST /_fake/scenario: expected a scenario as the body or {"scenario": "..."}' });
        }
        defaultScenario = value === '' ? undefined : value;
        return sendJson(res, 200, { defaultScenario: defaultScenario ?? DEFAULT_SCENARIO });
      }
      case 'POST /_fake/reset':
        log = [];
        flakyCounts.clear();
        defaultScenario = initialDefault;
        return sendJson(res, 200, { defaultScenario: defaultScenario ?? DEFAULT_SCENARIO });
      default:
        return sendJson(res, 404, { error: { type: 'not_found_error', message: `fake model: no route ${key}` } });
    }
  };

  const server = http.createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (isAbort(error) || res.destroyed) {
        if (!res.writableEnded) res.destroy();
        return;
      }
      if (!res.headersSent) sendJson(res, 500, { error: { type: 'api_error', message: `fake model: ${describeError(error)}` } });
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new CaptainError('IO', 'fake model server: no TCP address after listen');
  const port = address.port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  let closed: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    requests: () => log.slice(),
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        closing.abort();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closed;
    },
  };
};
