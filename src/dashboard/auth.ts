/**
 * The dashboard's access rules: a random token given once in the URL it prints; the page keeps it
 * in an HttpOnly, SameSite=Strict cookie; every request needs it (cookie, `Authorization: Bearer`,
 * or `?token=`); a state-changing request also needs it in the `X-Captain-Token` header (a cookie
 * alone, which another site's form could ride on, is not enough) and an Origin of the dashboard
 * itself; the Host header must name the dashboard's own address (a DNS-rebinding guard).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const TOKEN_COOKIE = 'captain_dashboard';
export const TOKEN_HEADER = 'x-captain-token';

export const newToken = (): string => randomBytes(32).toString('base64url');

export const sameToken = (given: string | undefined | null, token: string): boolean => {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
};

const cookieToken = (req: IncomingMessage): string | undefined => {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === TOKEN_COOKIE) return rest.join('=');
  }
  return undefined;
};

const bearerToken = (req: IncomingMessage): string | undefined => {
  const header = req.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined;
};

export type Verdict = { ok: true; viaQuery: boolean } | { ok: false; status: 401 | 403; reason: string };

/** The origins the dashboard answers as: `http://127.0.0.1:PORT` and `http://localhost:PORT`. */
export const ownHosts = (port: number): string[] => [`127.0.0.1:${port}`, `localhost:${port}`];

export const checkRequest = (req: IncomingMessage, url: URL, token: string, port: number): Verdict => {
  if (!ownHosts(port).includes(req.headers.host ?? '')) return { ok: false, status: 403, reason: `Host ${req.headers.host ?? '(none)'} is not this dashboard` };
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') {
    const origin = req.headers.origin;
    if (origin !== undefined && !ownHosts(port).some((h) => origin === `http://${h}`)) return { ok: false, status: 403, reason: `Origin ${origin} may not change anything here` };
    const header = req.headers[TOKEN_HEADER];
    if (!sameToken(Array.isArray(header) ? header[0] : header, token)) return { ok: false, status: 403, reason: `a state-changing request needs the token in the ${TOKEN_HEADER} header` };
    return { ok: true, viaQuery: false };
  }
  if (sameToken(url.searchParams.get('token'), token)) return { ok: true, viaQuery: true };
  if (sameToken(cookieToken(req), token) || sameToken(bearerToken(req), token)) return { ok: true, viaQuery: false };
  return { ok: false, status: 401, reason: 'open the URL captain dashboard printed (it carries the access token)' };
};
