/**
 * The one place runtime config is resolved. Sources, lowest first: defaults; the `[runtime]`
 * table of upstream's `~/.config/ccc/ccc-config.toml`; `--config FILE` (JSON or TOML);
 * `CAPTAIN_<KEY>` environment variables; CLI flags. Every bad value names the key, the source
 * and what was expected.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { extname, join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { CaptainError, describeError } from '../errors.js';
import { isJsonObject, type JsonObject } from '../util/json.js';
import { DEFAULT_RUNTIME_CONFIG, type RuntimeConfig } from './defaults.js';
import { closestKey, envName, flagName, isRuntimeConfigKey, RUNTIME_CONFIG_KEY_NAMES, RUNTIME_CONFIG_KEYS, type RuntimeConfigKey } from './keys.js';

export type ConfigSource = 'default' | 'ccc-config' | 'config-file' | 'env' | 'flag';

export interface ResolveInput {
  /** Home directory holding `.config/ccc/ccc-config.toml`. @default os.homedir() */
  homeDir?: string;
  /** `--config FILE`. */
  configFile?: string;
  /** Environment (only `CAPTAIN_*` variables are read). */
  env?: NodeJS.ProcessEnv;
  /** CLI flag values by key (strings as typed, or already typed values). */
  flags?: Partial<Record<RuntimeConfigKey, string | number | boolean>>;
}

export interface ResolvedConfig {
  config: RuntimeConfig;
  sources: Record<RuntimeConfigKey, ConfigSource>;
}

/** Top-level tables of a config file that are not runtime keys (read by their own modules: `src/hooks/config.ts`). */
const CONFIG_SECTIONS = new Set(['hooks']);

const BOOLEAN_WORDS: Record<string, boolean> = { true: true, false: false, '1': true, '0': false, yes: true, no: false };

/** A string from the environment or a flag, read as the key's type. */
const fromText = (key: RuntimeConfigKey, text: string): unknown => {
  const trimmed = text.trim();
  if (RUNTIME_CONFIG_KEYS[key].valueName === 'bool') return BOOLEAN_WORDS[trimmed.toLowerCase()] ?? text;
  return /^-?\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : text;
};

const check = (key: RuntimeConfigKey, value: unknown, where: string): number | boolean => {
  const parsed = RUNTIME_CONFIG_KEYS[key].schema.safeParse(value);
  if (!parsed.success) {
    throw new CaptainError('INVALID_CONFIG', `${where} = ${JSON.stringify(value)}; expected ${RUNTIME_CONFIG_KEYS[key].expected}`, {
      data: { key, where, value },
    });
  }
  return parsed.data;
};

const readFileTable = (path: string): JsonObject => {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CaptainError('INVALID_CONFIG', `--config ${path}: cannot read it (${describeError(error)})`);
  }
  try {
    const parsed: unknown = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseToml(text);
    if (!isJsonObject(parsed)) throw new Error('the root is not a table/object');
    return parsed;
  } catch (error) {
    const format = extname(path).toLowerCase() === '.json' ? 'JSON' : 'TOML';
    throw new CaptainError('INVALID_CONFIG', `--config ${path}: not valid ${format} (${describeError(error)})`);
  }
};

/** The keys of a config file: under `runtime` when present, else at the top level. */
const runtimeTable = (table: JsonObject): { entries: JsonObject; prefix: string } => {
  const runtime = table.runtime;
  return isJsonObject(runtime) ? { entries: runtime, prefix: 'runtime.' } : { entries: table, prefix: '' };
};

export const resolveRuntimeConfig = (input: ResolveInput = {}): ResolvedConfig => {
  const config: RuntimeConfig = { ...DEFAULT_RUNTIME_CONFIG };
  const sources = Object.fromEntries(RUNTIME_CONFIG_KEY_NAMES.map((k) => [k, 'default'])) as Record<RuntimeConfigKey, ConfigSource>;
  const set = (key: RuntimeConfigKey, value: number | boolean, source: ConfigSource): void => {
    (config as unknown as Record<string, number | boolean>)[key] = value;
    sources[key] = source;
  };

  // Upstream's own file: upstream ignores keys it does not use and falls back to the default for
  // invalid or non-positive values, so captain reads it the same way (no errors from a file
  // another tool owns).
  const cccConfig = join(input.homeDir ?? homedir(), '.config', 'ccc', 'ccc-config.toml');
  if (existsSync(cccConfig)) {
    try {
      const table = parseToml(readFileSync(cccConfig, 'utf8'));
      const runtime = isJsonObject(table.runtime) ? table.runtime : {};
      for (const [name, value] of Object.entries(runtime)) {
        if (!isRuntimeConfigKey(name)) continue;
        const parsed = RUNTIME_CONFIG_KEYS[name].schema.safeParse(value);
        if (parsed.success) set(name, parsed.data, 'ccc-config');
      }
    } catch {
      // An unreadable upstream file is upstream's problem; captain keeps its defaults.
    }
  }

  if (input.configFile !== undefined) {
    const { entries, prefix } = runtimeTable(readFileTable(input.configFile));
    for (const [name, value] of Object.entries(entries)) {
      if (prefix === '' && CONFIG_SECTIONS.has(name)) continue;
      if (!isRuntimeConfigKey(name)) {
        const hint = closestKey(name);
        throw new CaptainError('INVALID_CONFIG', `--config ${input.configFile}: unknown key ${prefix}${name}${hint ? ` (did you mean ${hint}?)` : ''}; known keys: ${RUNTIME_CONFIG_KEY_NAMES.join(', ')}`);
      }
      set(name, check(name, value, `--config ${input.configFile}: ${prefix}${name}`), 'config-file');
    }
  }

  const env = input.env ?? {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('CAPTAIN_WORKER_') || value === undefined) continue;
    const key = name.slice('CAPTAIN_'.length).toLowerCase();
    if (!isRuntimeConfigKey(key)) {
      const hint = closestKey(key);
      throw new CaptainError('INVALID_CONFIG', `environment variable ${name} is not a captain setting${hint ? ` (did you mean ${envName(hint)}?)` : ''}; known: ${RUNTIME_CONFIG_KEY_NAMES.map(envName).join(', ')}`);
    }
    set(key, check(key, fromText(key, value), `environment ${name}`), 'env');
  }

  for (const [name, value] of Object.entries(input.flags ?? {})) {
    if (value === undefined || !isRuntimeConfigKey(name)) continue;
    set(name, check(name, typeof value === 'string' ? fromText(name, value) : value, flagName(name)), 'flag');
  }
  return { config, sources };
};
