/**
 * Hook definitions: `[[hooks]]` tables of the `--config` file and of the user config
 * (`$XDG_CONFIG_HOME/captain/config.toml`, else `~/.config/captain/config.toml`), and
 * `--hook EVENT=COMMAND` flags. Each hook names its events and does one thing: run a command
 * (argv, no shell), POST a webhook (optionally signed), or show a desktop notification.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { extname, join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { HOOK_TIMEOUT_MS } from '../config/defaults.js';
import { CaptainError, describeError } from '../errors.js';
import { HOOK_EVENTS, type HookEvent } from './events.js';
import { lazy } from '../util/lazy.js';

export interface HookDefinition {
  /** Stable id: the `name` given, else a hash of what the hook does; names its ledger folder in the run. */
  id: string;
  events: HookEvent[];
  action:
    | { type: 'command'; argv: string[] }
    | { type: 'webhook'; url: string; secret: string | null }
    | { type: 'notify' };
  timeoutMs: number;
  /** Where it was defined (error messages, `captain hooks`). */
  source: string;
}

const HOOK_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The schema of one hook table, built on first use (see util/lazy.ts). */
const hookTableSchema = lazy(() =>
  z
    .strictObject({
      name: z.optional(z.string().check(z.regex(HOOK_NAME, 'letters, digits, ".", "_" or "-", at most 64'))),
      events: z.array(z.enum(HOOK_EVENTS)).check(z.minLength(1, 'at least one event')),
      command: z.optional(z.array(z.string().check(z.minLength(1))).check(z.minLength(1, 'a non-empty argv'))),
      url: z.optional(z.string().check(z.url(), z.refine((u) => /^https?:\/\//i.test(u), 'an http:// or https:// URL'))),
      secret_file: z.optional(z.string().check(z.minLength(1))),
      notify: z.optional(z.boolean()),
      timeout_ms: z.optional(z.number().check(z.int(), z.positive())),
    })
    .check(
      z.superRefine((hook, ctx) => {
        const actions = [hook.command !== undefined, hook.url !== undefined, hook.notify === true].filter(Boolean).length;
        if (actions !== 1) ctx.addIssue({ code: 'custom', message: 'exactly one of command, url or notify = true' });
        if (hook.secret_file !== undefined && hook.url === undefined) ctx.addIssue({ code: 'custom', path: ['secret_file'], message: 'only with url' });
      }),
    ),
);
/** zod/mini loads no locale: the English messages ("Invalid option: expected one of ...") are asked for here. */
const englishMessages = lazy(() => en().localeError);

const hashId = (value: unknown): string => `h-${createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 12)}`;

const readSecret = (path: string, where: string): string => {
  try {
    const secret = readFileSync(path, 'utf8').trim();
    if (secret.length === 0) throw new Error('the file is empty');
    return secret;
  } catch (error) {
    throw new CaptainError('INVALID_CONFIG', `${where}.secret_file ${path}: cannot read the webhook secret (${describeError(error)})`);
  }
};

const toDefinition = (table: unknown, where: string): HookDefinition => {
  const parsed = hookTableSchema().safeParse(table, { error: englishMessages() });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.length ? `.${issue.path.join('.')}` : '';
    throw new CaptainError('INVALID_CONFIG', `${where}${field}: ${issue?.message ?? 'invalid hook'}; a hook is {events = [${HOOK_EVENTS.join(', ')}], and one of command = [argv...], url = "https://...", notify = true}`);
  }
  const hook = parsed.data;
  const action: HookDefinition['action'] =
    hook.command !== undefined
      ? { type: 'command', argv: hook.command }
      : hook.url !== undefined
        ? { type: 'webhook', url: hook.url, secret: hook.secret_file === undefined ? null : readSecret(hook.secret_file, where) }
        : { type: 'notify' };
  const events = [...new Set(hook.events)];
  return {
    id: hook.name ?? hashId({ events: [...events].sort(), command: hook.command, url: hook.url, notify: hook.notify }),
    events,
    action,
    timeoutMs: hook.timeout_ms ?? HOOK_TIMEOUT_MS,
    source: where,
  };
};

/** The hooks of a parsed config table (its `hooks` array, TOML `[[hooks]]`); none when absent. */
export const hooksFromTable = (table: Record<string, unknown>, where: string): HookDefinition[] => {
  const hooks = table.hooks;
  if (hooks === undefined) return [];
  if (!Array.isArray(hooks)) throw new CaptainError('INVALID_CONFIG', `${where}: hooks must be an array of tables ([[hooks]] in TOML)`);
  return hooks.map((hook, i) => toDefinition(hook, `${where}: hooks[${i}]`));
};

const readTable = (path: string, where: string): Record<string, unknown> => {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CaptainError('INVALID_CONFIG', `${where}: cannot read it (${describeError(error)})`);
  }
  try {
    const parsed: unknown = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseToml(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('the root is not a table/object');
    return parsed as Record<string, unknown>;
  } catch (error) {
    throw new CaptainError('INVALID_CONFIG', `${where}: not valid ${extname(path).toLowerCase() === '.json' ? 'JSON' : 'TOML'} (${describeError(error)})`);
  }
};

/** Splits `--hook EVENT[,EVENT]=COMMAND`; COMMAND is a JSON array of strings or words split on spaces (no shell). */
export const parseHookFlag = (flag: string): HookDefinition => {
  const where = `--hook ${flag}`;
  const eq = flag.indexOf('=');
  if (eq <= 0 || eq === flag.length - 1) throw new CaptainError('USAGE', `${where}: expected EVENT=COMMAND, e.g. --hook worker_failed=notify-send`);
  const events = flag.slice(0, eq).split(',').map((e) => e.trim());
  const commandText = flag.slice(eq + 1).trim();
  let command: unknown;
  if (commandText.startsWith('[')) {
    try {
      command = JSON.parse(commandText);
    } catch (error) {
      throw new CaptainError('USAGE', `${where}: COMMAND starting with "[" must be a JSON array of strings (${describeError(error)})`);
    }
  } else {
    command = commandText.split(/\s+/).filter((w) => w.length > 0);
  }
  try {
    return toDefinition({ events, command }, where);
  } catch (error) {
    throw new CaptainError('USAGE', error instanceof Error ? error.message : String(error));
  }
};

export interface LoadHooksInput {
  configFile?: string;
  hookFlags?: readonly string[];
  /** Environment for `XDG_CONFIG_HOME`. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** @default os.homedir() */
  homeDir?: string;
}

/** The user config file captain reads hooks from. */
export const userConfigPath = (input: Pick<LoadHooksInput, 'env' | 'homeDir'> = {}): string => {
  const xdg = (input.env ?? process.env).XDG_CONFIG_HOME;
  return join(xdg !== undefined && xdg.length > 0 ? xdg : join(input.homeDir ?? homedir(), '.config'), 'captain', 'config.toml');
};

/** Every hook from the user config, `--config FILE` and `--hook` flags; two hooks with one id are refused. */
export const loadHooks = (input: LoadHooksInput = {}): HookDefinition[] => {
  const hooks: HookDefinition[] = [];
  const user = userConfigPath(input);
  if (existsSync(user)) hooks.push(...hooksFromTable(readTable(user, user), user));
  if (input.configFile !== undefined) hooks.push(...hooksFromTable(readTable(input.configFile, `--config ${input.configFile}`), `--config ${input.configFile}`));
  for (const flag of input.hookFlags ?? []) hooks.push(parseHookFlag(flag));
  const seen = new Map<string, string>();
  for (const hook of hooks) {
    const other = seen.get(hook.id);
    if (other !== undefined) throw new CaptainError('INVALID_CONFIG', `${hook.source}: hook id ${hook.id} is already used by ${other}; give each hook its own name`);
    seen.set(hook.id, hook.source);
  }
  return hooks;
};
