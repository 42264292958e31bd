/**
 * Finding runs and the text people read, through the built CLI on a real run in a real git
 * repository: command workers (one returns a multi-line final message, one crashes, one hangs and is
 * reclaimed, one is cancelled), commands run from a subfolder without --run-dir.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, runCaptain } from '../helpers/cli.js';
import { fixturePath } from '../helpers/worker-harness.js';

const FLAGS = ['--worker-stuck-after-ms', '1500', '--worker-kill-grace-ms', '200', '--worker-max-retries-per-phase', '0'];
const WIDTH = 100;

const widest = (text: string): number => Math.max(...text.split('\n').map((l) => l.length));

describe('captain runs, the default run, status and wait text on a real run', () => {
  const root = mkdtempSync(join(tmpdir(), 'captain-runs-cli-'));
  const ws = join(root, 'repo');
  const sub = join(ws, 'src', 'deep');
  const captain = (args: string[], cwd = sub) => runCaptain(args, { cwd, timeoutMs: 60_000 });
  const git = (...args: string[]) => spawnSync('git', args, { cwd: ws, encoding: 'utf8' });
  let runDir = '';
  const ids = { ok: '', crash: '', hang: '', live: '' };
  let waited: ReturnType<typeof runCaptain>;

  before(() => {
    mkdirSync(sub, { recursive: true });
    assert.equal(git('init', '-q').status, 0);
    writeFileSync(join(ws, 'README'), 'a repo\n');
    // A stand-in codex binary: ignores its arguments, prints a codex stream whose final message has five lines.
    const fakeCodex = join(root, 'fake-codex.mjs');
    writeFileSync(
      fakeCodex,
      `#!${process.execPath}\n` +
        [
          { type: 'thread.started', thread_id: '0199a213-81c0-7800-8aa1-bbab2a035a53' },
          { type: 'turn.started' },
          { type: 'item.completed', item: { id: 'item_0', type: 'agent_message', text: 'Fixed the flaky test.\nline two\nline three\nline four\nline five' } },
          { type: 'turn.completed', usage: { input_tokens: 100, cached_input_tokens: 0, output_tokens: 20 } },
        ]
          .map((e) => `console.log(${JSON.stringify(JSON.stringify(e))});`)
          .join('\n'),
    );
    chmodSync(fakeCodex, 0o755);

    const start = captain(['start', '--title', 'fix the flaky tests across the whole repository, then report', '--json'], ws);
    assert.equal(start.code, 0, start.stderr);
    runDir = JSON.parse(start.stdout).run_dir;
    const delegate = (name: keyof typeof ids, args: string[]): void => {
      const result = captain(['delegate', '--json', ...args]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, new RegExp(`^using run ${runDir} \\(latest of 1 in ${ws}\\)$`, 'm'));
      ids[name] = JSON.parse(result.stdout).delegation_id;
    };
    delegate('ok', ['--kind', 'codex', '--codex-bin', fakeCodex, '--prompt', 'fix it']);
    delegate('crash', ['--kind', 'command', '--', process.execPath, fixturePath('crash.mjs')]);
    delegate('hang', ['--kind', 'command', '--', process.execPath, fixturePath('hang.mjs')]);
    waited = captain(['wait', '--timeout', '40', ...FLAGS]);
  });
  after(() => {
    // Whatever a failed assertion left running (cancelling a finished worker changes nothing).
    for (const id of [ids.hang, ids.live]) if (id !== '' && runDir !== '') captain(['cancel', '--run-dir', runDir, '--delegation', id]);
    rmSync(root, { recursive: true, force: true });
  });

  it('wait (no --run-dir, from a subfolder) ends with each worker\'s final message or failure reason', () => {
    assert.equal(waited.code, 3, waited.stdout + waited.stderr);
    assert.match(waited.stderr, /^using run .* \(latest of 1 in /m);
    const out = waited.stdout;
    assert.match(out, /fan-in collapsed at .*: 1 completed, 2 failed, 0 cancelled/);
    assert.match(out, new RegExp(`  ${ids.ok}  completed.*\\n    │ Fixed the flaky test\\.\\n    │ line two\\n    │ line three\\n    │ …\\n`));
    assert.doesNotMatch(out, /line four/, 'only the first lines');
    assert.match(out, new RegExp(`  ${ids.crash}  failed.*\\n    reason: execution_failed: Command exited with code 1`));
    assert.match(out, new RegExp(`  ${ids.hang}  reclaimed.*\\n    reason: timeout: `));
    assert.doesNotMatch(out, /\u001b\[K/, 'no terminal control codes when stdout is not a TTY');
  });

  it('status (no --run-dir) fits 100 columns: title first, reasons for failures, nothing growing for finished workers', () => {
    const long = captain(['delegate', '--kind', 'command', '--', process.execPath, fixturePath('hang.mjs'), 'a-very-long-argument-that-makes-the-title-longer-than-any-column']);
    assert.equal(long.code, 0, long.stderr);
    ids.live = /delegated (\S+)/.exec(long.stdout)?.[1] ?? '';
    const status = captain(['status', '--worker-stuck-after-ms', '60000']);
    assert.equal(status.code, 0, status.stderr);
    const out = status.stdout;
    assert.ok(widest(out.split('\n  thresholds')[0] ?? out) <= WIDTH, `the table fits ${WIDTH} columns:\n${out}`);
    assert.match(out, /^ {2}TITLE\s+STATE\s+AGE\s+NOTE\s+DELEGATION$/m);
    assert.match(out, /workers: 4 total: 1 running · 1 returned · 1 failed · 1 reclaimed\n/, 'each worker counted once: the reclaimed one is not also timed out or active');
    const row = (id: string): string => out.split('\n').find((l) => l.endsWith(id)) ?? assert.fail(`no row for ${id}:\n${out}`);
    assert.match(row(ids.live), /^ {2}\S.*…\s+running\s+\S.*\s+pid \d+\s+dlg-/, 'a long title is cut with …; a running worker shows its pid');
    assert.match(row(ids.crash), /\s+failed\s+ended \S+( s| ms)?\s+execution_failed \(exit 1\)\s+dlg-/);
    assert.match(row(ids.hang), /\s+reclaimed\s+ended \S+( s| ms)?\s+timed out, reclaimed\s+dlg-/);
    for (const id of [ids.ok, ids.crash, ids.hang]) assert.doesNotMatch(row(id), /pid \d|reclaim_needed|not_needed/, 'no pid or reclaim value for a finished worker');
    assert.match(row(ids.ok), /\s+returned\s+ended [^\s].*\s+dlg-/);
    assert.match(out, /thresholds \(quiet \/ stale \/ timeout\): 22\.5 s \/ 45\.0 s \/ 45\.0 s/);
  });

  it('runs (from a subfolder) lists the run with outcome, counts, tokens; --json', () => {
    const text = captain(['runs']);
    assert.equal(text.code, 0, text.stderr);
    assert.ok(widest(text.stdout.split('\n').slice(1).join('\n')) <= WIDTH, text.stdout);
    assert.match(text.stdout, /^TITLE\s+OUTCOME\s+WORKERS\s+AGE\s+TOKENS\s+RUN$/m, 'no COST column when no run has a cost');
    // Four phases do not fit beside the other columns: the counts are cut (the title first gave up width); --json has them all.
    assert.match(text.stdout, /^fix the f\S*…\s+running\s+1 running · 1 returned · 1 f\S*…\s+\S+( s| ms)\s+120\s+run-/m);
    const json = captain(['runs', '--json']);
    const list = JSON.parse(json.stdout);
    assert.equal(list.workspace, ws);
    assert.equal(list.runs.length, 1);
    assert.deepEqual(
      { outcome: list.runs[0].outcome, counts: list.runs[0].counts, worker_count: list.runs[0].worker_count, total_tokens: list.runs[0].total_tokens, run_dir: list.runs[0].run_dir },
      { outcome: 'running', counts: { running: 1, returned: 1, failed: 1, reclaimed: 1 }, worker_count: 4, total_tokens: 120, run_dir: runDir },
    );
    assert.equal(json.stderr, '', 'runs names no default run');
    const cancel = captain(['cancel', '--delegation', ids.live ?? '']);
    assert.equal(cancel.code, 0, cancel.stderr);
    const after = JSON.parse(captain(['runs', '--json', '--workspace', ws], root).stdout);
    assert.equal(after.runs[0].outcome, 'failed');
  });

  it('status --all-cards shows every task card; task (no --run-dir) adds to the latest run', () => {
    const task = captain(['task', '--title', 'second card']);
    assert.equal(task.code, 0, task.stderr);
    const active = captain(['status', '--json', '--snapshot']);
    assert.equal(JSON.parse(active.stdout).worker_visibility.total_worker_count, 0, 'the new card is active and empty');
    const all = captain(['status', '--all-cards', '--snapshot']);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /every task card \(2\):/);
    assert.equal((all.stdout.match(/^task card /gm) ?? []).length, 2);
    assert.match(all.stdout, /workers: 4 total: 1 returned · 1 failed · 1 reclaimed · 1 cancelled/);
    const json = JSON.parse(captain(['status', '--all-cards', '--json', '--snapshot']).stdout);
    assert.equal(json.task_card_id, null);
    assert.equal(json.task_cards.length, 2);
    assert.equal(captain(['status', '--all-cards', '--task-card', 'x']).code, 2);
  });

  it('git status stays clean: .captain/ carries its own .gitignore (written again when missing)', () => {
    assert.equal(readFileSync(join(ws, '.captain', '.gitignore'), 'utf8'), '*\n');
    assert.equal(git('status', '--porcelain').stdout, '?? README\n', 'only the repository\'s own file shows');
    unlinkSync(join(ws, '.captain', '.gitignore'));
    assert.match(git('status', '--porcelain').stdout, /\.captain\//, 'without it the runs would show');
    assert.equal(captain(['start', '--title', 'another'], sub).code, 0);
    assert.equal(git('status', '--porcelain').stdout, '?? README\n');
    const latest = captain(['status', '--json', '--snapshot']);
    assert.match(latest.stderr, /latest of 2 in /, 'start from a subfolder created the run in the workspace');
  });

  it('wait on a terminal: the progress line goes back and clears what it overwrites', () => {
    const run = JSON.parse(captain(['start', '--title', 'tty', '--run-dir', join(root, 'tty-run'), '--json']).stdout).run_dir as string;
    assert.equal(captain(['delegate', '--run-dir', run, '--kind', 'command', '--', process.execPath, fixturePath('emit-jsonl.mjs'), '4', '300']).code, 0);
    // `script` gives the command a pseudo-terminal; its output is what a terminal would receive.
    const command = [process.execPath, CLI, 'wait', '--run-dir', run, '--timeout', '30'].map((a) => `'${a}'`).join(' ');
    const result = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
    assert.equal(result.status, 0, result.stdout + result.stderr);
    const updates = result.stdout.split('\r\u001b[K').slice(1);
    assert.ok(updates.length >= 2, `several updates, each after \\r + erase to end of line: ${JSON.stringify(result.stdout)}`);
    assert.match(updates.at(-1) ?? '', /^1 returned\r?\nfan-in collapsed at /);
  });

  it('without a workspace: a clear usage error', () => {
    const outside = mkdtempSync(join(tmpdir(), 'captain-nows-'));
    try {
      const result = spawnSync(process.execPath, [CLI, 'wait'], { cwd: outside, encoding: 'utf8', env: { ...process.env, HOME: outside } });
      assert.equal(result.status, 2);
      assert.match(result.stderr, /no captain workspace: no \.captain\/ folder in .* or above; pass --run-dir DIR/);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
