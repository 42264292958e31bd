/**
 * Observation witnesses (src/ops/observation-witness.ts): when a witness still holds, observing
 * the unchanged record again changes nothing, for every change to what observing looks at: the raw
 * events file (appended, touched, replaced, removed, made a FIFO, reached through a folder now
 * pointing outside the run), the worker or its monitor dying, the wrapper's exit record appearing,
 * a raw events file appearing where there was none. Each of those turns the witness down. Real
 * processes, real files; a witness round-trips through JSON and a malformed one is refused.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RUNTIME_CONFIG } from '../../src/config/defaults.js';
import { wrapperExitFile } from '../../src/monitor/wrapper.js';
import { openRunContext } from '../../src/ops/context.js';
import { startObservationPass, type ObservationPass } from '../../src/ops/observation-pass.js';
import { decodeWitness, witnessHolds, type ObservationWitness } from '../../src/ops/observation-witness.js';
import { observeDelegation } from '../../src/ops/refresh.js';
import { captureProcessIdentity } from '../../src/process/identity.js';
import { readProcStat } from '../../src/process/proc-stat.js';
import type { JsonObject } from '../../src/util/json.js';
import { formatRfc3339 } from '../../src/util/time.js';
import { runningDelegation } from '../helpers/records.js';

const temp = mkdtempSync(join(tmpdir(), 'captain-witness-'));
const sleepers: ChildProcess[] = [];
const sleeper = async (): Promise<ChildProcess> => {
  const child = spawn('sleep', ['600'], { stdio: 'ignore' });
  sleepers.push(child);
  await new Promise((resolve) => child.once('spawn', resolve));
  return child;
};
const kill = async (child: ChildProcess): Promise<void> => {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
};
before(() => mkdirSync(temp, { recursive: true }));
after(() => {
  for (const child of sleepers) child.kill('SIGKILL');
  rmSync(temp, { recursive: true, force: true });
});

let runs = 0;
type Kind = 'upstream' | 'captain' | 'no-raw';
interface Setup {
  runDir: string;
  path: string;
  record: JsonObject;
  raw: string;
  worker: ChildProcess;
  monitor: ChildProcess;
}

/** A run with one running record of `kind` on live processes; its raw events file last written a minute before its last progress. */
const setUp = async (kind: Kind): Promise<Setup> => {
  const runDir = join(temp, `run-${(runs += 1)}`);
  for (const dir of ['delegations', 'raw-events', 'task-cards']) mkdirSync(join(runDir, dir), { recursive: true });
  writeFileSync(join(runDir, 'run.json'), JSON.stringify({ run_id: 'r', active_task_card_id: 'card-1' }));
  const worker = await sleeper();
  const monitor = await sleeper();
  const now = Date.now();
  const workerIdentity = captureProcessIdentity(worker.pid as number);
  const monitorIdentity = captureProcessIdentity(monitor.pid as number);
  assert.ok(workerIdentity !== null && monitorIdentity !== null);
  const lifecycle: JsonObject = {
    process_id: worker.pid as number,
    process_started_at: formatRfc3339(now + 1_000),
    last_progress_at: formatRfc3339(now),
    ...(kind === 'captain' ? { generation: 'a1', process_identity: { ...workerIdentity }, monitor_identity: { ...monitorIdentity } } : {}),
  };
  const record = runningDelegation('w1', { lifecycle });
  const path = join(runDir, 'delegations', 'w1.json');
  writeFileSync(path, JSON.stringify(record, null, 2));
  const raw = join(runDir, 'raw-events', 'w1.jsonl');
  if (kind !== 'no-raw') {
    writeFileSync(raw, '{"type":"thread.started","thread_id":"t"}\n');
    utimesSync(raw, (now - 60_000) / 1000, (now - 60_000) / 1000);
  }
  return { runDir, path, record, raw, worker, monitor };
};

const observe = (s: Setup) => observeDelegation(openRunContext(s.runDir, DEFAULT_RUNTIME_CONFIG), s.path, s.record, startObservationPass({ witnesses: true }));
const holds = (s: Setup, witness: ObservationWitness): boolean => witnessHolds(s.runDir, witness, startObservationPass());

/** Witnessed at first; after `change`, the witness is turned down, and (when it would not be) observing changes nothing. */
const check = async (kind: Kind, change: (s: Setup) => void | Promise<void>, expectHolds: boolean): Promise<void> => {
  const s = await setUp(kind);
  const first = observe(s);
  assert.equal(first.change, 'none');
  assert.ok(first.witness !== undefined, `${kind}: witnessed`);
  assert.equal(holds(s, first.witness), true, `${kind}: holds before any change`);
  await change(s);
  const held = holds(s, first.witness);
  assert.equal(held, expectHolds);
  let again: ReturnType<typeof observe> | undefined;
  try {
    again = observe(s);
  } catch {
    again = undefined; // e.g. a FIFO: reported as an error
  }
  // The point of a witness: it never holds where observing would see something new.
  if (held) assert.deepEqual({ change: again?.change, same: again?.record === s.record }, { change: 'none', same: true });
};

describe('observation witnesses', () => {
  for (const kind of ['upstream', 'captain'] as const) {
    it(`${kind} record: hold while nothing changes; every change to what observing looks at turns them down`, async () => {
      await check(kind, () => undefined, true);
      await check(kind, (s) => appendFileSync(s.raw, '{"type":"turn.started"}\n'), false);
      await check(kind, (s) => utimesSync(s.raw, new Date(), new Date()), false);
      await check(kind, (s) => {
        // Same content and mtime, another inode.
        writeFileSync(`${s.raw}.new`, '{"type":"thread.started","thread_id":"t"}\n');
        execFileSync('touch', ['-r', s.raw, `${s.raw}.new`]);
        renameSync(`${s.raw}.new`, s.raw);
      }, false);
      await check(kind, (s) => rmSync(s.raw), false);
      await check(kind, (s) => {
        rmSync(s.raw);
        execFileSync('mkfifo', [s.raw]);
      }, false);
      await check(kind, (s) => {
        // The raw-events folder moved outside the run (the same file: inode, size, times) and a symlink left in its place.
        const outside = join(temp, `outside-${runs}`);
        mkdirSync(outside);
        renameSync(join(s.runDir, 'raw-events'), join(outside, 'raw-events'));
        symlinkSync(join(outside, 'raw-events'), join(s.runDir, 'raw-events'));
      }, false);
      if (kind === 'upstream') await check(kind, (s) => kill(s.worker), false);
      if (kind === 'captain') {
        await check(kind, (s) => kill(s.monitor), false);
        await check(kind, (s) => writeFileSync(wrapperExitFile(s.runDir, 'w1', 'a1'), JSON.stringify({ wait_status: 0, worker_pid: s.worker.pid })), false);
        // The worker dying under a live monitor: the monitor finalizes it, observing changes nothing.
        await check(kind, (s) => kill(s.worker), true);
      }
    });
  }

  it('a reused pid (same number, a process started later) turns a captain witness down, as it turns observing to dead', async () => {
    const s = await setUp('captain');
    const witness = observe(s).witness as ObservationWitness;
    // The monitor's and the worker's pids now name younger processes (start ticks moved on).
    const reused = new Set([s.monitor.pid, s.worker.pid]);
    const younger: ObservationPass = startObservationPass({ witnesses: true, procStat: (pid) => {
      const stat = readProcStat(pid);
      return stat !== null && reused.has(pid) ? { ...stat, startTicks: stat.startTicks + 100 } : stat;
    } });
    assert.equal(witnessHolds(s.runDir, witness, startObservationPass()), true);
    assert.equal(witnessHolds(s.runDir, witness, younger), false);
    assert.notEqual(observeDelegation(openRunContext(s.runDir, DEFAULT_RUNTIME_CONFIG), s.path, s.record, younger).change, 'none');
  });

  it('an upstream worker that exits but lingers as a zombie (its parent never reaps it) turns the witness down, as observing finds it dead', async () => {
    const s = await setUp('upstream');
    // sh starts the worker in the background, then execs a sleep that never reaps it.
    const parent = spawn('sh', ['-c', 'sleep 600 & echo $!; exec sleep 600'], { stdio: ['ignore', 'pipe', 'ignore'] });
    sleepers.push(parent);
    const workerPid = await new Promise<number>((resolve) => {
      parent.stdout?.setEncoding('utf8');
      parent.stdout?.once('data', (text: string) => resolve(Number(text.trim())));
    });
    const lifecycle = { ...(s.record['worker_lifecycle'] as JsonObject), process_id: workerPid };
    const zombieSetup: Setup = { ...s, record: { ...s.record, worker_lifecycle: lifecycle } };
    writeFileSync(s.path, JSON.stringify(zombieSetup.record, null, 2));
    const first = observe(zombieSetup);
    assert.equal(first.change, 'none');
    assert.ok(first.witness !== undefined);
    assert.equal(holds(zombieSetup, first.witness), true);
    process.kill(workerPid, 'SIGKILL');
    for (let i = 0; i < 200 && readProcStat(workerPid)?.state !== 'Z'; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(readProcStat(workerPid)?.state, 'Z', 'the worker lingers as a zombie');
    assert.equal(holds(zombieSetup, first.witness), false);
    assert.equal(observe(zombieSetup).change, 'finalized');
  });

  it('no raw events file yet: holds until one appears', async () => {
    await check('no-raw', () => undefined, true);
    await check('no-raw', (s) => kill(s.worker), true);
    await check('no-raw', (s) => writeFileSync(s.raw, '{"type":"thread.started","thread_id":"t"}\n'), false);
    await check('no-raw', (s) => symlinkSync(join(temp, 'nowhere'), s.raw), false);
  });

  it('no witness where observing did more than look (a dead worker finalized, progress found), or where none was asked for', async () => {
    const plain = await setUp('upstream');
    const unasked = observeDelegation(openRunContext(plain.runDir, DEFAULT_RUNTIME_CONFIG), plain.path, plain.record, startObservationPass());
    assert.deepEqual({ change: unasked.change, witness: unasked.witness }, { change: 'none', witness: undefined });
    const dead = await setUp('upstream');
    await kill(dead.worker);
    assert.equal(observe(dead).witness, undefined);
    const progressed = await setUp('upstream');
    appendFileSync(progressed.raw, '{"type":"turn.started"}\n');
    utimesSync(progressed.raw, new Date(Date.now() + 5_000), new Date(Date.now() + 5_000));
    const seen = observe(progressed);
    assert.equal(seen.change, 'progress');
    assert.equal(seen.witness, undefined);
  });

  it('round-trips through JSON; a malformed one is no witness', async () => {
    for (const kind of ['upstream', 'captain', 'no-raw'] as const) {
      const witness = observe(await setUp(kind)).witness;
      assert.ok(witness !== undefined);
      assert.deepEqual(decodeWitness(JSON.parse(JSON.stringify(witness))), witness);
    }
    const good = observe(await setUp('captain')).witness as ObservationWitness;
    const bad: unknown[] = [
      null,
      [],
      'x',
      { ...good, looked: 1 },
      { ...good, file: 7 },
      { ...good, exit: {} },
      { ...good, monitor: { identity: null, liveness: 'maybe' } },
      { ...good, monitor: { identity: { pid: 'one' }, liveness: 'alive' } },
      { ...good, worker: { ...good.worker, pid: '12' } },
      { ...good, worker: [] },
    ];
    for (const value of bad) assert.equal(decodeWitness(value), undefined, JSON.stringify(value));
  });
});
