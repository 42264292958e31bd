/**
 * Everything needed to run the real Codex CLI, Claude Code and Gemini CLI against the fake model
 * server, offline: Codex's config home and Gemini's settings, each CLI's environment (with every
 * phone-home switched off), and the location of the binaries inside the project's node_modules
 * (PATH is never consulted).
 *
 * Where to keep worker homes: Codex warns on stderr ("Refusing to create helper binaries under
 * temporary dir") when CODEX_HOME sits under /tmp, so `makeWorkerHome` creates homes under
 * `~/.cache/captain-test/` unless the caller passes another parent folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FAKE_CODEX_STREAM_IDLE_TIMEOUT_MS } from '../config/defaults.js';
import { CaptainError } from '../errors.js';
import type { JsonObject } from '../util/json.js';

export type { WorkerLauncher } from '../kinds/node-modules.js';

/** Name of the env var holding Codex's API key for the `fake` provider (any value works). */
export const FAKE_CODEX_KEY_ENV = 'FAKE_OPENAI_API_KEY';
/** The model slug written for Codex; it is in Codex's bundled model list, so no "model metadata" warning. */
export const FAKE_CODEX_MODEL = 'gpt-5.5';

/** Default parent of worker homes: `~/.cache/captain-test` (outside /tmp, see the module comment). */
export const defaultWorkerHomeRoot = (): string => path.join(os.homedir(), '.cache', 'captain-test');

/** Creates a fresh, empty folder for a CODEX_HOME or CLAUDE_CONFIG_DIR under `parent` (created if missing). */
export const makeWorkerHome = (prefix: string, parent: string = defaultWorkerHomeRoot()): string => {
  fs.mkdirSync(parent, { recursive: true });
  return fs.mkdtempSync(path.join(parent, `${prefix}-`));
};

/** `{baseUrl}/v1`, accepting a base that already ends in `/v1`. */
const v1Url = (baseUrl: string): string => {
  const trimmed = baseUrl.replace(/\/+$/, '');
  return trimmed.endsWith('/v1') ? trimmed : `${trimmed}/v1`;
};

const tomlString = (value: string): string => JSON.stringify(value);

export interface CodexHomeOptions {
  /** Codex fails a stream that stays silent this long. @default FAKE_CODEX_STREAM_IDLE_TIMEOUT_MS */
  streamIdleTimeoutMs?: number;
  /** Extra `[features]` flags, merged over the ones written (plugins, remote_plugin, apps, shell_snapshot: false). */
  features?: Record<string, boolean>;
  /** TOML appended verbatim (e.g. `codexMcpServerToml(...)`); must not repeat a table written here. */
  extraToml?: string;
}

const DEFAULT_CODEX_FEATURES: Readonly<Record<string, boolean>> = {
  plugins: false,
  remote_plugin: false,
  apps: false,
  shell_snapshot: false,
};

const BARE_TOML_KEY = /^[A-Za-z0-9_-]+$/;

/**
 * Writes `dir/config.toml` (creating `dir`) so that Codex uses the fake server as provider `fake`
 * (Responses API, key from FAKE_OPENAI_API_KEY, no retries), model gpt-5.5, approval `never`, and
 * contacts nothing else (analytics, OpenTelemetry, plugins and apps off).
 */
export const writeCodexHome = (dir: string, baseUrl: string, options: CodexHomeOptions = {}): void => {
  const idle = options.streamIdleTimeoutMs ?? FAKE_CODEX_STREAM_IDLE_TIMEOUT_MS;
  if (!Number.isSafeInteger(idle) || idle <= 0) {
    throw new CaptainError('USAGE', `writeCodexHome: streamIdleTimeoutMs must be a positive integer, got ${idle}`);
  }
  const lines = [
    `model = ${tomlString(FAKE_CODEX_MODEL)}`,
    'model_provider = "fake"',
    'approval_policy = "never"',
    'sandbox_mode = "workspace-write"',
    'check_for_update_on_startup = false',
    '',
    '[model_providers.fake]',
    'name = "Fake loopback model"',
    `base_url = ${tomlString(v1Url(baseUrl))}`,
    'wire_api = "responses"',
    `env_key = ${tomlString(FAKE_CODEX_KEY_ENV)}`,
    'supports_websockets = false',
    'request_max_retries = 0',
    'stream_max_retries = 0',
    `stream_idle_timeout_ms = ${idle}`,
    '',
    '[analytics]',
    'enabled = false',
    '',
    '[otel]',
    'exporter = "none"',
    'trace_exporter = "none"',
    'metrics_exporter = "none"',
    '',
    '[features]',
    ...Object.entries({ ...DEFAULT_CODEX_FEATURES, ...options.features }).map(([key, on]) => {
      if (!BARE_TOML_KEY.test(key)) throw new CaptainError('USAGE', `writeCodexHome: features key "${key}" is not a bare TOML key`);
      return `${key} = ${on}`;
    }),
    '',
  ];
  fs.mkdirSync(dir, { recursive: true });
  const extra = options.extraToml === undefined ? '' : `\n${options.extraToml.trimEnd()}\n`;
  fs.writeFileSync(path.join(dir, 'config.toml'), lines.join('\n') + extra);
};

/**
 * A `[mcp_servers.NAME]` table for `writeCodexHome`'s `extraToml`: a stdio MCP server whose tools
 * Codex may call without asking (`default_tools_approval_mode = "approve"`; with approval `never`
 * Codex otherwise fails every MCP call with "MCP tool call requires approval").
 */
export const codexMcpServerToml = (name: string, command: string, args: string[], env: Record<string, string> = {}): string => {
  if (!BARE_TOML_KEY.test(name)) throw new CaptainError('USAGE', `codexMcpServerToml: server name "${name}" must match ${BARE_TOML_KEY}`);
  const lines = [
    `[mcp_servers.${name}]`,
    `command = ${tomlString(command)}`,
    `args = [${args.map(tomlString).join(', ')}]`,
    'default_tools_approval_mode = "approve"',
  ];
  const envEntries = Object.entries(env);
  if (envEntries.length > 0) {
    lines.push('', `[mcp_servers.${name}.env]`, ...envEntries.map(([key, value]) => `${tomlString(key)} = ${tomlString(value)}`));
  }
  return `${lines.join('\n')}\n`;
};

/** The `--mcp-config` JSON for Claude Code with one stdio MCP server (allow its tools with `--allowedTools mcp__NAME__TOOL`). */
export const claudeMcpConfig = (name: string, command: string, args: string[], env: Record<string, string> = {}): string =>
  JSON.stringify({ mcpServers: { [name]: { type: 'stdio', command, args, env } } });

/** Environment for `codex exec` with a home written by `writeCodexHome`. */
export const codexEnv = (codexHome: string): Record<string, string> => ({
  CODEX_HOME: codexHome,
  [FAKE_CODEX_KEY_ENV]: 'fake-openai-key',
});

export interface ClaudeEnvOptions {
  /** Claude's time limit to response headers (its default is 600000). */
  apiTimeoutMs?: number;
}

/** Environment for `claude -p` against the fake server, with all non-essential traffic off and no retries. */
export const claudeEnv = (baseUrl: string, configDir: string, options: ClaudeEnvOptions = {}): Record<string, string> => ({
  ANTHROPIC_BASE_URL: baseUrl.replace(/\/+$/, '').replace(/\/v1$/, ''),
  ANTHROPIC_API_KEY: 'sk-ant-fake-key',
  CLAUDE_CONFIG_DIR: configDir,
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  DISABLE_TELEMETRY: '1',
  DISABLE_ERROR_REPORTING: '1',
  DISABLE_AUTOUPDATER: '1',
  CLAUDE_CODE_MAX_RETRIES: '0',
  ...(options.apiTimeoutMs === undefined ? {} : { API_TIMEOUT_MS: String(options.apiTimeoutMs) }),
});

/**
 * The settings the Gemini CLI reads from `GEMINI_CLI_HOME/.gemini/settings.json` to run offline
 * against the fake server: API-key auth (else headless runs fail "Invalid auth method selected."),
 * one attempt per request (the default is 10 with 5–30 s backoff), and nothing else on the network:
 * usage statistics (Clearcut logging to play.googleapis.com, on by default), telemetry, auto-update and
 * the IDE companion off.
 */
export const GEMINI_OFFLINE_SETTINGS: JsonObject = {
  security: { auth: { selectedType: 'gemini-api-key' } },
  general: { maxAttempts: 1, enableAutoUpdate: false, enableAutoUpdateNotification: false },
  privacy: { usageStatisticsEnabled: false },
  telemetry: { enabled: false },
  ide: { enabled: false },
};

/** Writes `dir/.gemini/settings.json` (creating `dir`) with `GEMINI_OFFLINE_SETTINGS`; `dir` is then a `GEMINI_CLI_HOME`. */
export const writeGeminiHome = (dir: string, settings: JsonObject = GEMINI_OFFLINE_SETTINGS): void => {
  fs.mkdirSync(path.join(dir, '.gemini'), { recursive: true });
  fs.writeFileSync(path.join(dir, '.gemini', 'settings.json'), `${JSON.stringify(settings, null, 2)}\n`);
};

/**
 * Environment for `gemini -p` against the fake server with a home written by `writeGeminiHome`:
 * the SDK's base URL (it POSTs `{base}/v1beta/models/MODEL:streamGenerateContent?alt=sse`), any API
 * key, and no self-relaunch (the CLI otherwise restarts itself under a second Node with a bigger heap).
 */
export const geminiEnv = (baseUrl: string, geminiHome: string): Record<string, string> => ({
  GOOGLE_GEMINI_BASE_URL: baseUrl.replace(/\/+$/, '').replace(/\/v1(beta)?$/, ''),
  GEMINI_API_KEY: 'fake-gemini-key',
  GEMINI_CLI_HOME: geminiHome,
  GEMINI_CLI_NO_RELAUNCH: 'true',
});

// Binary resolution is production code: it lives in each kind's folder (src/kinds/<kind>/binary.ts); re-exported for tests and the demo.
export { resolveClaudeBin, resolveCodexBin, type ResolveOptions } from '../workers/binaries.js';
export { resolveGeminiBin } from '../kinds/gemini/binary.js';
export { FAKE_GEMINI_MODEL } from './gemini-wire.js';
