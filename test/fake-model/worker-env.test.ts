/** Config, environment and binary lookup for running the real CLIs against the fake server. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { parse as parseToml } from 'smol-toml';
import { isCaptainError } from '../../src/errors.js';
import {
  claudeEnv,
  claudeMcpConfig,
  codexEnv,
  codexMcpServerToml,
  defaultWorkerHomeRoot,
  makeWorkerHome,
  resolveClaudeBin,
  resolveCodexBin,
  writeCodexHome,
} from '../../src/fake-model/worker-env.js';

const temps: string[] = [];
const tempDir = (): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'captain-'));
  temps.push(dir);
  return dir;
};
after(() => {
  for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
});

/** config.toml as plain objects (smol-toml builds null-prototype tables). */
const readToml = (dir: string): Record<string, unknown> =>
  JSON.parse(JSON.stringify(parseToml(fs.readFileSync(path.join(dir, 'config.toml'), 'utf8')))) as Record<string, unknown>;

describe('writeCodexHome', () => {
  it('writes the fake provider, no retries, no phone-home and approval never', () => {
    const dir = path.join(tempDir(), 'nested', 'home');
    writeCodexHome(dir, 'http://127.0.0.1:4321');
    const config = readToml(dir);
    assert.equal(config.model, 'gpt-5.5');
    assert.equal(config.model_provider, 'fake');
    assert.equal(config.approval_policy, 'never');
    assert.equal(config.check_for_update_on_startup, false);
    assert.deepEqual(config.model_providers, {
      fake: {
        name: 'Fake loopback model',
        base_url: 'http://127.0.0.1:4321/v1',
        wire_api: 'responses',
        env_key: 'FAKE_OPENAI_API_KEY',
        supports_websockets: false,
        request_max_retries: 0,
        stream_max_retries: 0,
        stream_idle_timeout_ms: 300000,
      },
    });
    assert.deepEqual(config.analytics, { enabled: false });
    assert.deepEqual(config.otel, { exporter: 'none', trace_exporter: 'none', metrics_exporter: 'none' });
    assert.deepEqual(config.features, { plugins: false, remote_plugin: false, apps: false, shell_snapshot: false });
  });

  it('takes the idle timeout, extra features and extra TOML (an MCP server table)', () => {
    const dir = tempDir();
    writeCodexHome(dir, 'http://127.0.0.1:4321/v1/', {
      streamIdleTimeoutMs: 3000,
      features: { shell_snapshot: true, tool_search: false },
      extraToml: codexMcpServerToml('captain', '/usr/bin/node', ['/x/mcp.js', '--run', 'a "b"'], { CAPTAIN_RUN: '/r' }),
    });
    const config = readToml(dir);
    const providers = config.model_providers as Record<string, Record<string, unknown>>;
    assert.equal(providers.fake?.base_url, 'http://127.0.0.1:4321/v1');
    assert.equal(providers.fake?.stream_idle_timeout_ms, 3000);
    assert.deepEqual(config.features, { plugins: false, remote_plugin: false, apps: false, shell_snapshot: true, tool_search: false });
    assert.deepEqual(config.mcp_servers, {
      captain: {
        command: '/usr/bin/node',
        args: ['/x/mcp.js', '--run', 'a "b"'],
        default_tools_approval_mode: 'approve',
        env: { CAPTAIN_RUN: '/r' },
      },
    });
  });

  it('refuses a bad idle timeout and names that are not bare TOML keys', () => {
    const usage = (error: unknown): boolean => isCaptainError(error) && error.code === 'USAGE';
    assert.throws(() => writeCodexHome(tempDir(), 'http://127.0.0.1:1', { streamIdleTimeoutMs: 0 }), usage);
    assert.throws(() => writeCodexHome(tempDir(), 'http://127.0.0.1:1', { features: { 'a b': true } }), usage);
    assert.throws(() => codexMcpServerToml('bad.name', 'node', []), usage);
  });
});

describe('worker environments', () => {
  it('codexEnv points at the home and sets the key variable named in config.toml', () => {
    assert.deepEqual(Object.keys(codexEnv('/h')).sort(), ['CODEX_HOME', 'FAKE_OPENAI_API_KEY']);
    assert.equal(codexEnv('/h').CODEX_HOME, '/h');
  });

  it('claudeEnv sets the base URL (without /v1), a key, the config dir, and switches off traffic and retries', () => {
    const env = claudeEnv('http://127.0.0.1:9/v1', '/cfg');
    assert.deepEqual(env, {
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:9',
      ANTHROPIC_API_KEY: env.ANTHROPIC_API_KEY,
      CLAUDE_CONFIG_DIR: '/cfg',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_TELEMETRY: '1',
      DISABLE_ERROR_REPORTING: '1',
      DISABLE_AUTOUPDATER: '1',
      CLAUDE_CODE_MAX_RETRIES: '0',
    });
    assert.ok(env.ANTHROPIC_API_KEY !== undefined && env.ANTHROPIC_API_KEY !== '');
    assert.equal(claudeEnv('http://127.0.0.1:9', '/cfg', { apiTimeoutMs: 3000 }).API_TIMEOUT_MS, '3000');
  });

  it('claudeMcpConfig is the JSON --mcp-config expects', () => {
    assert.deepEqual(JSON.parse(claudeMcpConfig('echo', 'node', ['s.mjs'])), {
      mcpServers: { echo: { type: 'stdio', command: 'node', args: ['s.mjs'], env: {} } },
    });
  });

  it('makeWorkerHome creates fresh folders, by default under ~/.cache/captain-test (outside /tmp)', () => {
    const parent = tempDir();
    const a = makeWorkerHome('codex', parent);
    const b = makeWorkerHome('codex', parent);
    assert.notEqual(a, b);
    assert.ok(a.startsWith(path.join(parent, 'codex-')) && fs.statSync(a).isDirectory());
    assert.equal(defaultWorkerHomeRoot(), path.join(os.homedir(), '.cache', 'captain-test'));
    assert.ok(!defaultWorkerHomeRoot().startsWith('/tmp/'));
  });
});

describe('resolving the CLIs', () => {
  const isExecutable = (file: string): boolean => {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };

  it('finds the native Codex and Claude Code binaries in the project node_modules', () => {
    const codex = resolveCodexBin();
    assert.ok(isExecutable(codex.command), codex.command);
    assert.match(codex.command, /node_modules\/@openai\/codex-[a-z0-9-]+\/vendor\/[^/]+\/bin\/codex$/);
    assert.deepEqual(codex.args, []);
    assert.equal(codex.env.CODEX_MANAGED_BY_NPM, '1');
    const claude = resolveClaudeBin();
    assert.ok(isExecutable(claude.command), claude.command);
    assert.match(claude.command, /node_modules\/@anthropic-ai\/claude-code(-[a-z0-9-]+\/claude|\/bin\/claude\.exe)$/);
  });

  it('falls back to the npm shim under node when the platform package is missing', () => {
    const root = tempDir();
    const shim = path.join(root, 'node_modules', '@openai', 'codex', 'bin', 'codex.js');
    fs.mkdirSync(path.dirname(shim), { recursive: true });
    fs.writeFileSync(shim, '// shim\n');
    const launcher = resolveCodexBin({ from: path.join(root, 'src') });
    assert.deepEqual(launcher, { command: process.execPath, args: [shim], env: {} });
  });

  it('does not take the Claude wrapper placeholder for the binary, and names what it tried', () => {
    const root = tempDir();
    const placeholder = path.join(root, 'node_modules', '@anthropic-ai', 'claude-code', 'bin', 'claude.exe');
    fs.mkdirSync(path.dirname(placeholder), { recursive: true });
    fs.writeFileSync(placeholder, 'echo "postinstall did not run"\n');
    assert.throws(
      () => resolveClaudeBin({ from: root }),
      (error) => isCaptainError(error) && error.code === 'IO' && error.message.includes(placeholder),
    );
    assert.throws(
      () => resolveCodexBin({ from: tempDir() }),
      (error) => isCaptainError(error) && error.code === 'IO' && /Codex CLI not found/.test(error.message),
    );
  });
});
