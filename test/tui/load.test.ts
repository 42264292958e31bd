/** The I/O edge of `captain top` on a real run: last event lines and the log tail read from the end of a long log; `--all`. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RUNTIME_CONFIG } from '../../src/config/defaults.js';
import { openRunContext } from '../../src/ops/context.js';
import { loadRunView, readLogTail } from '../../src/tui/load.js';
import { runCaptain } from '../helpers/cli.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('top load', () => {
  const root = mkdtempSync(join(tmpdir(), 'captain-top-load-'));
  const runDir = join(root, '.captain', 'runs', 'one');
  let id = '';

  before(async () => {
    assert.equal(runCaptain(['start', '--title', 'one', '--run-dir', runDir]).code, 0);
    assert.equal(runCaptain(['start', '--title', 'two', '--workspace', root]).code, 0);
    const r = runCaptain(['delegate', '--run-dir', runDir, '--kind', 'command', '--title', 'chatty', '--json', '--', 'sh', '-c', 'i=0; while [ $i -lt 5000 ]; do echo "line $i"; i=$((i+1)); done']);
    assert.equal(r.code, 0, r.stderr);
    id = JSON.parse(r.stdout).delegation_id;
    const end = Date.now() + 30_000;
    while (Date.now() < end) {
      if (JSON.parse(readFileSync(join(runDir, 'delegations', `${id}.json`), 'utf8')).child_agent.status === 'completed') return;
      await sleep(100);
    }
    assert.fail('the chatty worker did not complete');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('reads the last event and a bounded tail of the log', () => {
    const ctx = openRunContext(runDir, DEFAULT_RUNTIME_CONFIG);
    const view = loadRunView(ctx);
    assert.equal(view.rows.length, 1);
    assert.equal(view.rows[0]?.last_event, 'line 4999');
    assert.equal(view.rows[0]?.phase, 'returned');
    assert.equal(view.worktrees?.worktrees ?? 0, 0);
    const tail = readLogTail(ctx, id, 2_000);
    assert.equal(tail[0], '…');
    assert.equal(tail.at(-1), 'line 4999');
    assert.ok(tail.length < 400, `${tail.length} lines from 2,000 bytes`);
    const whole = readLogTail(ctx, id, 1_000_000);
    assert.equal(whole[0], 'line 0');
    assert.equal(whole.length, 5000);
  });

  it('--all --once shows every run of the workspace', () => {
    const r = runCaptain(['top', '--all', '--workspace', root, '--once']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.split('\n').filter((l) => l.startsWith('run ')).length, 2);
    assert.match(r.stdout, /chatty/);
    assert.match(r.stdout, /no workers yet/);
    const both = runCaptain(['top', '--all', '--run-dir', runDir, '--once']);
    assert.notEqual(both.code, 0);
    assert.match(both.stderr, /--all and --run-dir exclude each other/);
  });
});
