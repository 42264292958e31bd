/** Finding runs: the workspace walk, the run list (outcome, counts, usage, corrupt runs), the latest run, .captain/.gitignore. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RUNTIME_CONFIG } from '../../src/config/defaults.js';
import { countPhases, runOutcome, workerPhase } from '../../src/lifecycle/phase.js';
import { latestRun, listRuns } from '../../src/ops/run-list.js';
import { createRun } from '../../src/ops/runs.js';
import { ensureCaptainGitignore, findWorkspace } from '../../src/store/workspace.js';
import { formatRfc3339 } from '../../src/util/time.js';
import { runningDelegation } from '../helpers/records.js';

const NOW = Date.parse('2026-12-01T12:00:00.000Z');
const config = DEFAULT_RUNTIME_CONFIG;

describe('workspace discovery', () => {
  const root = mkdtempSync(join(tmpdir(), 'captain-ws-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('finds the nearest folder holding .captain/ from any subfolder, like git finds .git', () => {
    const ws = join(root, 'proj');
    mkdirSync(join(ws, '.captain'), { recursive: true });
    mkdirSync(join(ws, 'a', 'b', 'c'), { recursive: true });
    assert.equal(findWorkspace(join(ws, 'a', 'b', 'c'), { home: root }), ws);
    assert.equal(findWorkspace(ws, { home: root }), ws);
    // A nested workspace wins over the outer one.
    mkdirSync(join(ws, 'a', '.captain'));
    assert.equal(findWorkspace(join(ws, 'a', 'b'), { home: root }), join(ws, 'a'));
  });

  it('a .captain file (not a folder) is no workspace; the walk stops at the home folder', () => {
    const home = join(root, 'home');
    mkdirSync(join(home, 'src', 'x'), { recursive: true });
    writeFileSync(join(home, 'src', '.captain'), 'not a folder');
    mkdirSync(join(root, '.captain'), { recursive: true }); // above home: never reached from inside it
    assert.equal(findWorkspace(join(home, 'src', 'x'), { home }), null);
    mkdirSync(join(home, '.captain'));
    assert.equal(findWorkspace(join(home, 'src', 'x'), { home }), home, 'home itself is checked');
    assert.equal(findWorkspace(join(root, 'elsewhere-not-made'), { home }), root, 'outside home the walk goes to the root');
  });
});

describe('.captain/.gitignore', () => {
  const root = mkdtempSync(join(tmpdir(), 'captain-gi-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('createRun under .captain writes `*`; a user file is never replaced; a run elsewhere writes none', () => {
    const run = createRun({ baseDir: join(root, 'ws', '.captain', 'runs'), title: 't', nowMs: NOW });
    assert.ok(run.run_dir.startsWith(join(root, 'ws', '.captain', 'runs')));
    assert.equal(readFileSync(join(root, 'ws', '.captain', '.gitignore'), 'utf8'), '*\n');

    mkdirSync(join(root, 'mine', '.captain'), { recursive: true });
    writeFileSync(join(root, 'mine', '.captain', '.gitignore'), 'runs/\n');
    createRun({ baseDir: join(root, 'mine', '.captain', 'runs'), title: 't', nowMs: NOW });
    assert.equal(readFileSync(join(root, 'mine', '.captain', '.gitignore'), 'utf8'), 'runs/\n');
    assert.equal(ensureCaptainGitignore(join(root, 'mine', '.captain')), false);

    createRun({ runDir: join(root, 'plain', 'r1'), title: 't', nowMs: NOW });
    assert.throws(() => readFileSync(join(root, 'plain', '.gitignore')), /ENOENT/);
  });
});

describe('listRuns / latestRun', () => {
  const root = mkdtempSync(join(tmpdir(), 'captain-list-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const ws = join(root, 'ws');
  const runsDir = join(ws, '.captain', 'runs');
  const writeRun = (name: string, run: Record<string, unknown> | string, records: Record<string, unknown>[] = []): string => {
    const dir = join(runsDir, name);
    mkdirSync(join(dir, 'delegations'), { recursive: true });
    writeFileSync(join(dir, 'run.json'), typeof run === 'string' ? run : JSON.stringify(run));
    for (const r of records) writeFileSync(join(dir, 'delegations', `${String(r.delegation_id)}.json`), JSON.stringify(r));
    return dir;
  };
  const at = (msAgo: number): string => formatRfc3339(NOW - msAgo);
  const usage = { worker_result: { total_token_usage: { input_tokens: 100, cached_input_tokens: 0, output_tokens: 20 }, cost_usd: 0.25 } };

  // Oldest: every worker returned and fanned in.
  writeRun('r-done', { run_id: 'r-done', title: 'all done', created_at: at(3_600_000) }, [
    runningDelegation('d1', { child: { status: 'completed' }, lifecycle: { state: 'returned', returned_at: at(3_000_000) }, top: { ...usage, fan_in_collapsed_at: at(2_900_000) } }),
    runningDelegation('d2', { child: { status: 'completed' }, lifecycle: { state: 'returned' }, top: { ...usage, fan_in_collapsed_at: at(2_900_000) } }),
  ]);
  // A reclaimed worker and a failure that was retried successfully: failed (the reclaimed one is final).
  writeRun('r-failed', { run_id: 'r-failed', title: 'one reclaimed', created_at: at(1_800_000) }, [
    runningDelegation('f1', { child: { status: 'failed' }, lifecycle: { state: 'timed_out', reclaim_state: 'reclaimed' } }),
    runningDelegation('f2', { child: { status: 'failed' }, lifecycle: { state: 'failed' }, top: { retried_by: 'f3' } }),
    runningDelegation('f3', { child: { status: 'completed' }, lifecycle: { state: 'returned' }, top: usage }),
  ]);
  // Newest by created_at: one worker still running, one stuck, one returned; one record unreadable.
  const running = writeRun('r-running', { run_id: 'r-running', title: 'busy', created_at: at(60_000) }, [
    runningDelegation('x1', { lifecycle: { last_progress_at: at(1_000) } }),
    runningDelegation('x2', { lifecycle: { last_progress_at: at(600_000) } }),
    runningDelegation('x3', { child: { status: 'completed' }, lifecycle: { state: 'returned' } }),
  ]);
  writeFileSync(join(running, 'delegations', 'broken.json'), '{"delegation_id": ');
  // No created_at: sorted by the folder's mtime (older than everything).
  const noDate = writeRun('r-nodate', { run_id: 'r-nodate' });
  utimesSync(noDate, new Date(NOW - 7_200_000), new Date(NOW - 7_200_000));
  // Corrupt run.json, newest mtime: listed with its error, never the default run.
  const corrupt = writeRun('r-corrupt', '{ nope');
  utimesSync(corrupt, new Date(NOW), new Date(NOW));
  // Not runs: a file and a hidden folder.
  writeFileSync(join(runsDir, 'notes.txt'), 'x');
  mkdirSync(join(runsDir, '.trash'));

  it('lists every run newest first with outcome, counts that add up, age, tokens and cost', () => {
    const list = listRuns({ workspace: ws, config, now: () => NOW });
    assert.equal(list.runs_dir, runsDir);
    assert.deepEqual(list.runs.map((r) => r.run_id), ['r-corrupt', 'r-running', 'r-failed', 'r-done', 'r-nodate']);
    const byId = Object.fromEntries(list.runs.map((r) => [r.run_id, r]));
    assert.equal(byId['r-running']?.outcome, 'running');
    assert.deepEqual(byId['r-running']?.counts, { running: 1, timed_out: 1, returned: 1 });
    assert.equal(byId['r-running']?.record_errors, 1);
    assert.equal(byId['r-running']?.age_ms, 60_000);
    assert.equal(byId['r-failed']?.outcome, 'failed');
    assert.deepEqual(byId['r-failed']?.counts, { returned: 1, failed: 1, reclaimed: 1 }, 'the reclaimed worker is not also timed out');
    assert.equal(byId['r-done']?.outcome, 'fanned_in');
    assert.equal(byId['r-done']?.total_tokens, 240);
    assert.equal(byId['r-done']?.cost_usd, 0.5);
    assert.equal(byId['r-nodate']?.outcome, 'idle');
    assert.equal(byId['r-nodate']?.age_ms, 7_200_000);
    assert.equal(byId['r-corrupt']?.outcome, 'unreadable');
    assert.match(byId['r-corrupt']?.error ?? '', /run\.json: invalid JSON/);
    for (const r of list.runs) assert.equal(Object.values(r.counts).reduce((a, b) => a + b, 0), r.worker_count, `${r.run_id}: counts add up`);
  });

  it('finds the workspace from a subfolder; latestRun skips the unreadable run and says how many there are', () => {
    mkdirSync(join(ws, 'src', 'deep'), { recursive: true });
    assert.equal(listRuns({ cwd: join(ws, 'src', 'deep'), home: root, config }).workspace, ws);
    const latest = latestRun({ cwd: join(ws, 'src', 'deep'), home: root });
    assert.deepEqual(latest, { run_dir: running, workspace: ws, run_count: 5 });
  });

  it('clear errors: no workspace, or a workspace without runs', () => {
    const bare = join(root, 'bare');
    mkdirSync(bare);
    assert.throws(() => latestRun({ cwd: bare, home: bare }), (e: Error & { code?: string }) => e.code === 'USAGE' && /no \.captain\/ folder in .* or above/.test(e.message));
    mkdirSync(join(bare, '.captain'));
    assert.throws(() => latestRun({ cwd: bare, home: bare }), /no runs in .*\.captain\/runs/);
    assert.deepEqual(listRuns({ cwd: bare, home: bare, config }).runs, []);
  });
});

describe('phases (pure)', () => {
  it('each worker has one phase; outcomes', () => {
    assert.equal(workerPhase({ state: 'timed_out', reclaim_state: 'reclaimed' }), 'reclaimed');
    assert.equal(workerPhase({ state: 'running_active', reclaim_state: 'not_needed' }), 'running');
    assert.equal(workerPhase(null, 'completed'), 'returned');
    assert.deepEqual(countPhases(['failed', 'running', 'running', 'weird']), { running: 2, failed: 1, weird: 1 });
    const w = (phase: string, final = true, fannedIn = false) => ({ phase, final, fannedIn });
    assert.equal(runOutcome([]), 'idle');
    assert.equal(runOutcome([w('returned'), w('stale')]), 'running');
    assert.equal(runOutcome([w('returned', true, true), w('failed', false, true)]), 'fanned_in', 'a retried failure is not final');
    assert.equal(runOutcome([w('returned', true, true), w('cancelled', true, true)]), 'failed');
    assert.equal(runOutcome([w('returned')]), 'idle', 'returned, fan-in pending');
  });
});
