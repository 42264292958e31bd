/**
 * Files a run points at that are not what they claim: FIFOs, devices, dangling symlinks, huge or
 * deeply nested records, symlinks out of the run. Every command must answer promptly with the file
 * in `errors` (never hang, never read gigabytes, never overflow the stack, never write outside).
 * Through the built CLI, as a real process with a timeout (a hang fails instead of stalling the suite).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCaptain } from '../helpers/cli.js';
import { runningDelegation } from '../helpers/records.js';
import { makeTempRun, type TempRun } from '../helpers/run-dir.js';

const mkfifo = (path: string): void => {
  execFileSync('mkfifo', [path]);
};

const tempRun = (t: { after(fn: () => void): void }): TempRun => {
  const run = makeTempRun();
  t.after(() => run.remove());
  run.writeTaskCard({ task_card_id: 'card-1', title: 'card', status: 'active' });
  return run;
};

const returned = (id: string) =>
  runningDelegation(id, { child: { status: 'completed' }, lifecycle: { state: 'returned', returned_at: '2026-11-24T10:00:01.000Z' } });

interface StatusJson {
  errors: Array<{ path: string; reason: string }>;
  worker_visibility: { workers: Array<{ delegation_id: string }> } | null;
}

/** `captain <args> --json` with a deadline; fails (instead of hanging) when the process does not end. */
const captainJson = (args: string[], timeoutMs = 20_000): { code: number | null; json: StatusJson; stderr: string; elapsedMs: number } => {
  const started = performance.now();
  const result = runCaptain([...args, '--json'], { timeoutMs });
  const elapsedMs = performance.now() - started;
  assert.notEqual(result.code, null, `captain ${args.join(' ')} did not end within ${timeoutMs} ms (killed): ${result.stderr}`);
  let json: StatusJson;
  try {
    json = JSON.parse(result.stdout) as StatusJson;
  } catch {
    assert.fail(`captain ${args.join(' ')} printed no JSON (exit ${result.code}): ${result.stdout.slice(0, 500)} ${result.stderr.slice(0, 2000)}`);
  }
  return { code: result.code, json, stderr: result.stderr, elapsedMs };
};

const errorFor = (json: StatusJson, path: string): string => {
  const entry = json.errors.find((e) => e.path === path);
  assert.ok(entry !== undefined, `no error entry for ${path}: ${JSON.stringify(json.errors)}`);
  return entry.reason;
};

test('a FIFO, /dev/zero, /dev/urandom, a dangling symlink and an oversized file as delegations: status and --snapshot answer at once, each in errors', (t) => {
  const run = tempRun(t);
  run.writeDelegation(returned('good'));
  const dir = join(run.runDir, 'delegations');
  mkfifo(join(dir, 'fifo.json'));
  symlinkSync('/dev/zero', join(dir, 'zero.json'));
  symlinkSync('/dev/urandom', join(dir, 'random.json'));
  symlinkSync(join(run.runDir, 'nowhere.json'), join(dir, 'dangling.json'));
  writeFileSync(join(dir, 'huge.json'), '{}');
  truncateSync(join(dir, 'huge.json'), 17 * 1024 * 1024); // sparse: 17 MiB of NULs
  for (const snapshot of [false, true]) {
    const { json, elapsedMs } = captainJson(['status', '--run-dir', run.runDir, ...(snapshot ? ['--snapshot'] : [])]);
    t.diagnostic(`status${snapshot ? ' --snapshot' : ''}: ${Math.round(elapsedMs)} ms`);
    assert.deepEqual(json.worker_visibility?.workers.map((w) => w.delegation_id), ['good'], 'the good record is still shown');
    assert.match(errorFor(json, join(dir, 'fifo.json')), /FIFO.*not a regular file/);
    assert.match(errorFor(json, join(dir, 'zero.json')), /character device, not a regular file/);
    assert.match(errorFor(json, join(dir, 'random.json')), /character device, not a regular file/);
    assert.match(errorFor(json, join(dir, 'dangling.json')), /symbolic link whose target does not exist/);
    assert.match(errorFor(json, join(dir, 'huge.json')), /17825792 bytes, over the 16777216-byte limit/);
    assert.ok(elapsedMs < 15_000, `status took ${elapsedMs} ms`);
  }
});

test('reclaim and fan-in with a FIFO among the delegations end, naming it', (t) => {
  const run = tempRun(t);
  run.writeDelegation(returned('good'));
  const fifo = join(run.runDir, 'delegations', 'fifo.json');
  mkfifo(fifo);
  const reclaim = runCaptain(['reclaim', '--run-dir', run.runDir, '--json'], { timeoutMs: 20_000 });
  assert.notEqual(reclaim.code, null, `reclaim hung: ${reclaim.stderr}`);
  const fanIn = runCaptain(['fan-in', '--run-dir', run.runDir, '--json'], { timeoutMs: 20_000 });
  assert.notEqual(fanIn.code, null, `fan-in hung: ${fanIn.stderr}`);
  assert.doesNotMatch(fanIn.stderr, /Maximum call stack/);
});

test('a FIFO as a running worker\'s raw events file, as run.json\'s neighbours or as the task card does not hang status', (t) => {
  const run = tempRun(t);
  const raw = join(run.runDir, 'raw-events', 'busy.jsonl');
  mkfifo(raw);
  run.writeDelegation(
    runningDelegation('busy', {
      top: { worker_launch_evidence: { launch_source: 'ccc_spawn', raw_events_file: raw } },
      lifecycle: { last_progress_at: new Date().toISOString(), process_id: process.pid },
    }),
  );
  mkfifo(join(run.runDir, 'raw-events', 'busy.stderr.txt'));
  rmSync(join(run.runDir, 'task-cards', 'card-1.json'));
  mkfifo(join(run.runDir, 'task-cards', 'card-1.json'));
  mkfifo(join(run.runDir, 'events.jsonl'));
  mkfifo(join(run.runDir, 'supervisor.json'));
  const { json } = captainJson(['status', '--run-dir', run.runDir]);
  assert.ok(json.errors.some((e) => e.path === join(run.runDir, 'task-cards', 'card-1.json') || /FIFO/.test(e.reason)) || json.worker_visibility !== null);
  const fanIn = runCaptain(['fan-in', '--run-dir', run.runDir, '--json'], { timeoutMs: 20_000 });
  assert.notEqual(fanIn.code, null, `fan-in hung: ${fanIn.stderr}`);
});

test('run.json as a FIFO is an error naming it, not a hang', (t) => {
  const run = tempRun(t);
  rmSync(join(run.runDir, 'run.json'));
  mkfifo(join(run.runDir, 'run.json'));
  const result = runCaptain(['status', '--run-dir', run.runDir, '--json'], { timeoutMs: 20_000 });
  assert.notEqual(result.code, null, 'status hung on a FIFO run.json');
  assert.equal(result.code, 1);
  assert.match(result.stderr, /run\.json: a FIFO \(named pipe\), not a regular file/);
});

test('an error about a record never quotes the content of the file it points at', (t) => {
  const run = tempRun(t);
  const secret = join(mkdtempSync(join(tmpdir(), 'captain-secret-')), 'secret.txt');
  t.after(() => rmSync(join(secret, '..'), { recursive: true, force: true }));
  writeFileSync(secret, 'API_KEY=sk-very-secret-value\n');
  symlinkSync(secret, join(run.runDir, 'delegations', 'leak.json'));
  writeFileSync(join(run.runDir, 'delegations', 'leak2.json'), '{"a": hunter2-password}');
  const result = runCaptain(['status', '--run-dir', run.runDir, '--json'], { timeoutMs: 20_000 });
  const json = JSON.parse(result.stdout) as StatusJson;
  assert.match(errorFor(json, join(run.runDir, 'delegations', 'leak.json')), /^invalid JSON/);
  assert.match(errorFor(json, join(run.runDir, 'delegations', 'leak2.json')), /^invalid JSON/);
  assert.doesNotMatch(result.stdout + result.stderr, /very-secret|hunter2|API_KEY/);
});

const deepRecord = (id: string, levels: number): string => {
  const record = JSON.stringify(returned(id));
  return `${record.slice(0, -1)},"deep":${'['.repeat(levels)}${']'.repeat(levels)}}`;
};

test('a record nested 100,000 levels deep: status, fan-in and the supervisor report it instead of overflowing the stack', (t) => {
  const run = tempRun(t);
  run.writeDelegation(returned('good'));
  const deep = join(run.runDir, 'delegations', 'deep.json');
  writeFileSync(deep, deepRecord('deep', 100_000));
  const { json } = captainJson(['status', '--run-dir', run.runDir]);
  assert.match(errorFor(json, deep), /nested more than 512 levels deep/);
  const snapshot = captainJson(['status', '--run-dir', run.runDir, '--snapshot']).json;
  assert.match(errorFor(snapshot, deep), /nested more than 512 levels deep/);
  const fanIn = runCaptain(['fan-in', '--run-dir', run.runDir, '--json'], { timeoutMs: 20_000 });
  assert.doesNotMatch(fanIn.stdout + fanIn.stderr, /Maximum call stack/);
  assert.equal(fanIn.code, 0, fanIn.stderr);
  // One supervisor pass (wait supervises while nothing else does) reaches fan-in.
  const wait = runCaptain(['wait', '--run-dir', run.runDir, '--timeout', '15'], { timeoutMs: 30_000 });
  assert.doesNotMatch(wait.stdout + wait.stderr, /Maximum call stack/);
  const log = existsSync(join(run.runDir, 'events.jsonl')) ? readFileSync(join(run.runDir, 'events.jsonl'), 'utf8') : '';
  assert.match(log, /fan_in_collapsed/, `no fan-in logged; wait said: ${wait.stdout} ${wait.stderr}`);
});

test('a 512-level record still reads; 513 levels is refused', (t) => {
  const run = tempRun(t);
  // The record itself is 1 level, "deep" adds the rest.
  writeFileSync(join(run.runDir, 'delegations', 'ok.json'), deepRecord('ok', 511));
  writeFileSync(join(run.runDir, 'delegations', 'over.json'), deepRecord('over', 512));
  const { json } = captainJson(['status', '--run-dir', run.runDir, '--snapshot']);
  assert.deepEqual(json.worker_visibility?.workers.map((w) => w.delegation_id), ['ok']);
  assert.match(errorFor(json, join(run.runDir, 'delegations', 'over.json')), /nested more than 512 levels deep/);
});

test('status and cancel never write through a delegation symlinked to a file outside the run, nor into a symlinked delegations/ folder', (t) => {
  const run = tempRun(t);
  const outsideDir = mkdtempSync(join(tmpdir(), 'captain-outside-'));
  t.after(() => rmSync(outsideDir, { recursive: true, force: true }));
  // A running worker whose process is gone: status would finalize it (a write).
  const victim = join(outsideDir, 'victim.json');
  const content = `${JSON.stringify(runningDelegation('linked', { lifecycle: { process_id: 999_999_999 } }), null, 2)}\n`;
  writeFileSync(victim, content);
  symlinkSync(victim, join(run.runDir, 'delegations', 'linked.json'));
  const status = captainJson(['status', '--run-dir', run.runDir]);
  const cancel = runCaptain(['cancel', '--run-dir', run.runDir, '--delegation', 'linked', '--json'], { timeoutMs: 20_000 });
  assert.notEqual(cancel.code, 0, `cancel wrote through the link: ${cancel.stdout}`);
  assert.match(cancel.stderr, /outside the run directory/);
  assert.equal(readFileSync(victim, 'utf8'), content, 'the file outside the run was rewritten');
  t.diagnostic(`status errors: ${JSON.stringify(status.json.errors)}`);

  // The whole delegations/ folder is a link to a folder elsewhere.
  const run2 = tempRun(t);
  const elsewhere = join(outsideDir, 'delegations');
  mkdirSync(elsewhere);
  writeFileSync(join(elsewhere, 'away.json'), content.replace('"linked"', '"away"'));
  rmSync(join(run2.runDir, 'delegations'), { recursive: true });
  symlinkSync(elsewhere, join(run2.runDir, 'delegations'));
  const before = readFileSync(join(elsewhere, 'away.json'), 'utf8');
  captainJson(['status', '--run-dir', run2.runDir]);
  const cancel2 = runCaptain(['cancel', '--run-dir', run2.runDir, '--delegation', 'away', '--json'], { timeoutMs: 20_000 });
  assert.notEqual(cancel2.code, 0, cancel2.stdout);
  assert.equal(readFileSync(join(elsewhere, 'away.json'), 'utf8'), before, 'a file in the linked folder was rewritten');
  assert.equal(existsSync(join(elsewhere, 'away.json.lock')), false, 'a lock directory was made outside the run');
});
