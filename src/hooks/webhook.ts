/**
 * Webhook delivery: POST the payload as JSON, signed with HMAC-SHA256 when the hook has a secret
 * (`X-Captain-Signature-256: sha256=<hex of the body>`), retried with doubling backoff on network
 * errors, timeouts and non-2xx answers. Every attempt of one delivery carries the same
 * `X-Captain-Delivery` id, so a receiver that saw it already can drop a re-delivery.
 */
import { createHmac } from 'node:crypto';
import { HOOK_WEBHOOK_BACKOFF_MS, HOOK_WEBHOOK_RETRIES } from '../config/defaults.js';
import { describeError } from '../errors.js';
import type { HookPayload } from './events.js';

export const signBody = (secret: string, body: string): string => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

export interface WebhookOutcome {
  ok: boolean;
  attempts: number;
  status: number | null;
  error: string | null;
}

export interface WebhookOptions {
  timeoutMs: number;
  retries?: number;
  backoffMs?: number;
  /** Stops retrying (the supervisor is stopping). */
  signal?: AbortSignal;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });

export const postWebhook = async (url: string, secret: string | null, payload: HookPayload, opts: WebhookOptions): Promise<WebhookOutcome> => {
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'agent-captain-hooks',
    'x-captain-event': payload.event,
    'x-captain-delivery': payload.delivery_id,
  };
  if (secret !== null) headers['x-captain-signature-256'] = signBody(secret, body);
  const retries = opts.retries ?? HOOK_WEBHOOK_RETRIES;
  let last: WebhookOutcome = { ok: false, attempts: 0, status: null, error: null };
  for (let attempt = 1; attempt <= retries + 1; attempt++) {
    if (opts.signal?.aborted === true) break;
    try {
      const response = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(opts.timeoutMs), redirect: 'error' });
      await response.arrayBuffer().catch(() => undefined);
      last = { ok: response.ok, attempts: attempt, status: response.status, error: response.ok ? null : `HTTP ${response.status}` };
      if (response.ok) return last;
    } catch (error) {
      last = { ok: false, attempts: attempt, status: null, error: describeError(error) };
    }
    if (attempt <= retries) await sleep((opts.backoffMs ?? HOOK_WEBHOOK_BACKOFF_MS) * 2 ** (attempt - 1), opts.signal);
  }
  return last;
};
