/** Hook definitions (config tables, `--hook` flags) and the pure mapping from log entries to hook events. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveRuntimeConfig } from '../../src/config/resolve.js';
import { loadHooks, parseHookFlag } from '../../src/hooks/config.js';
import { hookEventOf, hookPayload } from '../../src/hooks/events.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'captain-hookcfg-'));

describe('hook config', () => {
  it('reads [[hooks]] from a TOML --config beside top-level runtime keys, and the runtime keys still resolve', () => {
    const dir = tmp();
    const secret = join(dir, 'secret');
    writeFileSync(secret, 's3cret\n');
    const file = join(dir, 'captain.toml');
    writeFileSync(
      file,
      `worker_stuck_after_ms = 9000\n[[hooks]]\nname = "ping"\nevents = ["worker_failed", "fan_in_collapsed"]\ncommand = ["echo", "hi"]\ntimeout_ms = 500\n[[hooks]]\nevents = ["worker_returned"]\nurl = "http://127.0.0.1:9/x"\nsecret_file = "${secret}"\n[[hooks]]\nevents = ["run_idle"]\nnotify = true\n`,
    );
    assert.equal(resolveRuntimeConfig({ configFile: file, env: {} }).config.worker_stuck_after_ms, 9000);
    const hooks = loadHooks({ configFile: file, env: { XDG_CONFIG_HOME: join(dir, 'none') } });
    assert.equal(hooks.length, 3);
    assert.deepEqual(hooks[0], { id: 'ping', events: ['worker_failed', 'fan_in_collapsed'], action: { type: 'command', argv: ['echo', 'hi'] }, timeoutMs: 500, source: `--config ${file}: hooks[0]` });
    assert.deepEqual(hooks[1]!.action, { type: 'webhook', url: 'http://127.0.0.1:9/x', secret: 's3cret' });
    assert.match(hooks[1]!.id, /^h-[0-9a-f]{12}$/);
    assert.deepEqual(hooks[2]!.action, { type: 'notify' });
  });

  it('reads the user config ($XDG_CONFIG_HOME/captain/config.toml) and a JSON --config, and refuses two hooks with one id', () => {
    const dir = tmp();
    mkdirSync(join(dir, 'captain'));
    writeFileSync(join(dir, 'captain', 'config.toml'), '[[hooks]]\nname = "a"\nevents = ["worker_failed"]\ncommand = ["true"]\n');
    const json = join(dir, 'c.json');
    writeFileSync(json, JSON.stringify({ hooks: [{ name: 'b', events: ['worker_returned'], command: ['true'] }] }));
    assert.deepEqual(loadHooks({ configFile: json, env: { XDG_CONFIG_HOME: dir } }).map((h) => h.id), ['a', 'b']);
    writeFileSync(json, JSON.stringify({ hooks: [{ name: 'a', events: ['worker_returned'], command: ['true'] }] }));
    assert.throws(() => loadHooks({ configFile: json, env: { XDG_CONFIG_HOME: dir } }), /hook id a is already used by .*config\.toml/);
  });

  it('names the file, the field and what was expected for a bad hook', () => {
    const dir = tmp();
    const file = join(dir, 'bad.toml');
    const cases: Array<[string, RegExp]> = [
      ['[[hooks]]\nevents = ["worker_exploded"]\ncommand = ["x"]\n', /bad\.toml: hooks\[0\]\.events\.0: .*worker_returned/],
      ['[[hooks]]\nevents = ["worker_failed"]\n', /hooks\[0\]: exactly one of command, url or notify = true/],
      ['[[hooks]]\nevents = ["worker_failed"]\ncommand = ["x"]\nurl = "http://127.0.0.1/"\n', /exactly one of/],
      ['[[hooks]]\nevents = ["worker_failed"]\nurl = "ftp://127.0.0.1/"\n', /hooks\[0\]\.url: an http/],
      ['[[hooks]]\nevents = ["worker_failed"]\ncommand = ["x"]\ncolour = "red"\n', /hooks\[0\]: .*colour/],
      ['[[hooks]]\nevents = ["worker_failed"]\nurl = "http://127.0.0.1/"\nsecret_file = "/nonexistent/secret"\n', /hooks\[0\]\.secret_file \/nonexistent\/secret: cannot read the webhook secret/],
      ['hooks = 3\n', /hooks must be an array of tables/],
    ];
    for (const [text, expected] of cases) {
      writeFileSync(file, text);
      assert.throws(() => loadHooks({ configFile: file, env: { XDG_CONFIG_HOME: join(dir, 'none') } }), expected, text);
    }
  });

  it('parses --hook EVENT[,EVENT]=COMMAND, words or a JSON array, and refuses the rest', () => {
    assert.deepEqual(parseHookFlag('worker_failed,worker_returned=notify-send -u critical').action, { type: 'command', argv: ['notify-send', '-u', 'critical'] });
    assert.deepEqual(parseHookFlag('worker_failed,worker_returned=notify-send -u critical').events, ['worker_failed', 'worker_returned']);
    assert.deepEqual(parseHookFlag('fan_in_collapsed=["my tool", "a b"]').action, { type: 'command', argv: ['my tool', 'a b'] });
    assert.throws(() => parseHookFlag('worker_failed'), /expected EVENT=COMMAND/);
    assert.throws(() => parseHookFlag('nope=true'), /--hook nope=true/);
    assert.throws(() => parseHookFlag('worker_failed=[1]'), /--hook worker_failed=\[1\]/);
  });
});

describe('hook events', () => {
  const at = '2026-12-03T00:00:00.000Z';
  it('maps transitions and run events to hook events, and nothing else', () => {
    assert.equal(hookEventOf({ event: 'worker_transition', at, from: 'running_active', to: 'returned' }), 'worker_returned');
    assert.equal(hookEventOf({ event: 'worker_transition', at, from: 'stale', to: 'failed' }), 'worker_failed');
    assert.equal(hookEventOf({ event: 'worker_transition', at, from: 'queued', to: 'cancelled' }), 'worker_cancelled');
    assert.equal(hookEventOf({ event: 'worker_transition', at, from: null, to: 'running_active' }), undefined);
    assert.equal(hookEventOf({ event: 'worker_reclaimed', at }), 'worker_reclaimed');
    assert.equal(hookEventOf({ event: 'worker_retried', at }), 'worker_retried');
    assert.equal(hookEventOf({ event: 'fan_in_collapsed', at }), 'fan_in_collapsed');
    assert.equal(hookEventOf({ event: 'run_idle', at }), 'run_idle');
    assert.equal(hookEventOf({ event: 'worker_failed', at }), undefined, 'only transitions say a worker failed (no double firing)');
    assert.equal(hookEventOf({ event: 'worker_delegated', at }), undefined);
  });

  it('builds the payload with run, task card, delegation, state and summary', () => {
    const entry = { event: 'worker_transition', at, delegation_id: 'd1', task_card_id: 'c1', from: 'running_active', to: 'failed', summary: 'boom' };
    assert.deepEqual(hookPayload(entry, 'worker_failed', { runDir: '/r', runId: 'run-1', deliveryId: 'run-1:h:10' }), {
      event: 'worker_failed',
      delivery_id: 'run-1:h:10',
      at,
      run_dir: '/r',
      run_id: 'run-1',
      task_card_id: 'c1',
      delegation_id: 'd1',
      state: 'failed',
      summary: 'boom',
      source: entry,
    });
  });
});
