import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveRuntimeConfig } from '../../src/config/resolve.js';
import { DEFAULT_RUNTIME_CONFIG } from '../../src/config/defaults.js';
import { CaptainError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'captain-config-'));
const home = join(dir, 'home');
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
mkdirSync(join(home, '.config', 'ccc'), { recursive: true });
writeFileSync(
  join(home, '.config', 'ccc', 'ccc-config.toml'),
  '[runtime]\nworker_stuck_after_ms = 60000\nworker_kill_grace_ms = 500\nworker_poll_interval_ms = 90000\npreferred_specialist_execution_mode = "codex_subagent"\nworker_retry_backoff_ms = -5\n',
);

const rejects = (fn: () => unknown, ...patterns: RegExp[]): void => {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof CaptainError, String(error));
    assert.equal(error.code, 'INVALID_CONFIG');
    for (const p of patterns) assert.match(error.message, p);
    return true;
  });
};

describe('resolveRuntimeConfig', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('defaults when nothing is given (and no upstream file)', () => {
    const { config, sources } = resolveRuntimeConfig({ homeDir: join(dir, 'nobody'), env: {} });
    assert.deepEqual(config, DEFAULT_RUNTIME_CONFIG);
    assert.equal(sources.worker_stuck_after_ms, 'default');
  });

  it("reads upstream's ccc-config [runtime], ignoring upstream-only keys and invalid values like upstream", () => {
    const { config, sources } = resolveRuntimeConfig({ homeDir: home, env: {} });
    assert.equal(config.worker_stuck_after_ms, 60_000);
    assert.equal(config.worker_kill_grace_ms, 500);
    assert.equal(config.worker_retry_backoff_ms, 1_000, 'invalid upstream value falls back to the default');
    assert.equal(sources.worker_stuck_after_ms, 'ccc-config');
  });

  it('precedence: defaults < ccc-config < --config < env < flags', () => {
    const toml = file('c.toml', '[runtime]\nworker_stuck_after_ms = 30000\nworker_quiet_after_ms = 7000\nworker_auto_reclaim_enabled = false\n');
    const { config, sources } = resolveRuntimeConfig({
      homeDir: home,
      configFile: toml,
      env: { CAPTAIN_WORKER_STUCK_AFTER_MS: '20000', CAPTAIN_WORKER_AUTO_RECLAIM_ENABLED: 'yes', OTHER: 'x', CAPTAIN_DEBUG: '1' },
      flags: { worker_stuck_after_ms: '10000' },
    });
    assert.deepEqual(
      [config.worker_stuck_after_ms, config.worker_quiet_after_ms, config.worker_auto_reclaim_enabled, config.worker_kill_grace_ms],
      [10_000, 7_000, true, 500],
    );
    assert.deepEqual([sources.worker_stuck_after_ms, sources.worker_quiet_after_ms, sources.worker_auto_reclaim_enabled, sources.worker_kill_grace_ms], ['flag', 'config-file', 'env', 'ccc-config']);
  });

  it('JSON config files, top level or under runtime', () => {
    assert.equal(resolveRuntimeConfig({ homeDir: home, env: {}, configFile: file('a.json', '{"worker_kill_grace_ms": 0}') }).config.worker_kill_grace_ms, 0);
    assert.equal(resolveRuntimeConfig({ homeDir: home, env: {}, configFile: file('b.json', '{"runtime": {"worker_max_retries_per_phase": 3}}') }).config.worker_max_retries_per_phase, 3);
    assert.equal(resolveRuntimeConfig({ homeDir: home, env: {}, configFile: file('t.toml', 'worker_retry_backoff_ms = 50\n') }).config.worker_retry_backoff_ms, 50);
  });

  it('bad values name the key, the source and what was expected', () => {
    const bad = file('bad.toml', '[runtime]\nworker_stuck_after_ms = -5\n');
    rejects(() => resolveRuntimeConfig({ homeDir: home, env: {}, configFile: bad }), /bad\.toml/, /runtime\.worker_stuck_after_ms = -5/, /positive integer/);
    rejects(() => resolveRuntimeConfig({ homeDir: home, env: {}, configFile: file('zero.json', '{"worker_stuck_after_ms": 0}') }), /worker_stuck_after_ms = 0/, /positive/);
    rejects(() => resolveRuntimeConfig({ homeDir: home, env: {}, configFile: file('float.json', '{"worker_kill_grace_ms": 1.5}') }), /worker_kill_grace_ms = 1\.5/, /integer/);
    rejects(() => resolveRuntimeConfig({ homeDir: home, env: {}, configFile: file('str.json', '{"worker_auto_reclaim_enabled": "maybe"}') }), /"maybe"/, /true or false/);
    rejects(() => resolveRuntimeConfig({ homeDir: home, env: { CAPTAIN_WORKER_KILL_GRACE_MS: 'soon' } }), /environment CAPTAIN_WORKER_KILL_GRACE_MS = "soon"/, /non-negative integer/);
    rejects(() => resolveRuntimeConfig({ homeDir: home, env: { CAPTAIN_WORKER_AUTO_RECLAIM_ENABLED: 'perhaps' } }), /true or false/);
    rejects(() => resolveRuntimeConfig({ homeDir: home, env: {}, flags: { worker_quiet_after_ms: 'abc' } }), /--worker-quiet-after-ms = "abc"/);
    rejects(() => resolveRuntimeConfig({ homeDir: home, env: {}, flags: { worker_stuck_after_ms: '-1' } }), /--worker-stuck-after-ms = -1/);
  });

  it('unknown keys: in --config (with a suggestion) and unknown CAPTAIN_WORKER_* variables', () => {
    rejects(() => resolveRuntimeConfig({ homeDir: home, env: {}, configFile: file('typo.toml', '[runtime]\nworker_stuck_afer_ms = 5\n') }), /unknown key runtime\.worker_stuck_afer_ms/, /did you mean worker_stuck_after_ms/);
    rejects(() => resolveRuntimeConfig({ homeDir: home, env: { CAPTAIN_WORKER_STUK_AFTER_MS: '5' } }), /CAPTAIN_WORKER_STUK_AFTER_MS/, /CAPTAIN_WORKER_STUCK_AFTER_MS/);
  });

  it('a malformed or missing --config file is an error naming it', () => {
    rejects(() => resolveRuntimeConfig({ homeDir: home, env: {}, configFile: file('broken.toml', '[runtime\nx = ') }), /broken\.toml: not valid TOML/);
    rejects(() => resolveRuntimeConfig({ homeDir: home, env: {}, configFile: file('broken.json', '{') }), /broken\.json: not valid JSON/);
    rejects(() => resolveRuntimeConfig({ homeDir: home, env: {}, configFile: join(dir, 'missing.toml') }), /missing\.toml: cannot read it/);
  });
});
