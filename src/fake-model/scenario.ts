/**
 * Scenarios of the fake model server: what one model request gets as an answer.
 *
 * A scenario is written `NAME[:ARG...]`, either inside a prompt as `[[fake:NAME:ARG...]]` (the last
 * marker of the request's user text wins) or as the server's default. Parsing never throws: an
 * unknown or malformed scenario becomes an `error:400` answer that names the problem, so a typo in a
 * test prompt shows up in the worker's own event stream.
 */
import { FAKE_MODEL_DEFAULT_TEXT, FAKE_MODEL_STEP_DELAY_SECONDS } from '../config/defaults.js';

export type Scenario =
  | { kind: 'ok'; text: string }
  | { kind: 'delay'; seconds: number; text: string }
  | { kind: 'stream'; chunks: number; text: string }
  | { kind: 'think'; thoughts: number; text: string }
  | { kind: 'steps'; steps: number; delaySeconds: number }
  | { kind: 'shell'; command: string }
  | { kind: 'error'; status: number; message: string }
  | { kind: 'fail'; message: string }
  | { kind: 'flaky'; failures: number; status: number }
  | { kind: 'hang' }
  | { kind: 'hang-stream' }
  | { kind: 'drop' }
  | { kind: 'script'; name: string; args: string[] }
  | { kind: 'recall'; prefix: string };

/** The name every scenario falls back to. */
export const DEFAULT_SCENARIO = 'ok';

const MARKER = /\[\[fake:([^\]]*)\]\]/g;

/** The text of the last `[[fake:...]]` marker in `text` (without the brackets), or undefined. */
export const lastMarker = (text: string): string | undefined => {
  let last: string | undefined;
  for (const match of text.matchAll(MARKER)) last = match[1];
  return last;
};

const seconds = (raw: string | undefined, fallback: number | undefined): number | undefined => {
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+(\.\d+)?$/.test(raw)) return undefined;
  return Number(raw);
};

const count = (raw: string | undefined, fallback?: number): number | undefined => {
  if (raw === undefined || raw === '') return fallback;
  return /^\d+$/.test(raw) ? Number(raw) : undefined;
};

const rest = (parts: string[], from: number): string | undefined =>
  parts.length > from ? parts.slice(from).join(':') : undefined;

const invalid = (spec: string, expected: string): Scenario => ({
  kind: 'error',
  status: 400,
  message: `fake model: invalid scenario "${spec}": expected ${expected}`,
});

/**
 * Parses `NAME[:ARG...]` (the inside of a marker). Text arguments keep their colons:
 * `ok:a:b` answers `a:b`.
 */
export const parseScenario = (spec: string): Scenario => {
  const parts = spec.trim().split(':');
  const name = parts[0] ?? '';
  const text = rest(parts, 1) ?? FAKE_MODEL_DEFAULT_TEXT;
  switch (name) {
    case 'ok':
    case '':
      return { kind: 'ok', text };
    case 'delay': {
      const s = seconds(parts[1], undefined);
      return s === undefined
        ? invalid(spec, 'delay:SECONDS[:TEXT]')
        : { kind: 'delay', seconds: s, text: rest(parts, 2) ?? FAKE_MODEL_DEFAULT_TEXT };
    }
    case 'stream': {
      const n = count(parts[1]);
      return n === undefined || n < 1
        ? invalid(spec, 'stream:CHUNKS[:TEXT] with CHUNKS >= 1')
        : { kind: 'stream', chunks: n, text: rest(parts, 2) ?? FAKE_MODEL_DEFAULT_TEXT };
    }
    case 'think': {
      const n = count(parts[1]);
      return n === undefined
        ? invalid(spec, 'think:COUNT[:TEXT]')
        : { kind: 'think', thoughts: n, text: rest(parts, 2) ?? `${FAKE_MODEL_DEFAULT_TEXT} after ${n} thoughts` };
    }
    case 'steps': {
      const n = count(parts[1]);
      const s = seconds(parts[2], FAKE_MODEL_STEP_DELAY_SECONDS);
      return n === undefined || s === undefined
        ? invalid(spec, 'steps:COUNT[:SECONDS]')
        : { kind: 'steps', steps: n, delaySeconds: s };
    }
    case 'shell': {
      const command = rest(parts, 1);
      return command === undefined || command.trim() === ''
        ? invalid(spec, 'shell:COMMAND')
        : { kind: 'shell', command };
    }
    case 'error': {
      const status = count(parts[1]);
      return status === undefined || status < 400 || status > 599
        ? invalid(spec, 'error:STATUS[:MESSAGE] with STATUS 400..599')
        : { kind: 'error', status, message: rest(parts, 2) ?? `fake error ${status}` };
    }
    case 'fail':
      return { kind: 'fail', message: rest(parts, 1) ?? 'fake model failure' };
    case 'flaky': {
      const failures = count(parts[1]);
      const status = count(parts[2], 500);
      return failures === undefined || status === undefined || status < 400 || status > 599
        ? invalid(spec, 'flaky:COUNT[:STATUS] with STATUS 400..599')
        : { kind: 'flaky', failures, status };
    }
    case 'hang':
      return { kind: 'hang' };
    case 'hang-stream':
      return { kind: 'hang-stream' };
    case 'drop':
      return { kind: 'drop' };
    case 'recall': {
      const prefix = rest(parts, 1);
      return prefix === undefined || !/^[A-Za-z0-9_-]+$/.test(prefix) ? invalid(spec, 'recall:PREFIX (letters, digits, _ or -)') : { kind: 'recall', prefix };
    }
    case 'script': {
      const scriptName = parts[1];
      return scriptName === undefined || scriptName === ''
        ? invalid(spec, 'script:NAME[:ARG...]')
        : { kind: 'script', name: scriptName, args: parts.slice(2) };
    }
    default:
      return invalid(
        spec,
        'one of ok, delay, stream, think, steps, shell, error, fail, flaky, hang, hang-stream, drop, script, recall',
      );
  }
};
