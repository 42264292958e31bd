import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLOCK_TICKS_PER_SECOND } from '../../src/config/defaults.js';
import { bootId, bootTimeMs, parseProcStat, procAvailable, readProcStat, rememberingProcStat, runsProgram, startTimeMs } from '../../src/process/proc-stat.js';
import { isPidAlive } from '../../src/process/identity.js';
import { killAllSpawned, spawnReady, waitFor } from '../helpers/worker-harness.js';

/** A real stat line (of this process) with its comm swapped for `comm`. */
const statLineWithComm = (comm: string): string => {
  const own = fs.readFileSync('/proc/self/stat', 'utf8');
  return `${process.pid} (${comm}${own.slice(own.lastIndexOf(')'))}`;
};

describe('parseProcStat', () => {
  it('reads state, ppid, pgrp, session and starttime (field 22) from a literal line', () => {
    const line = '4242 (node) S 17 4242 4242 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 11 0 987654 1000 10 18446744073709551615 1 1 0 0 0';
    assert.deepEqual(parseProcStat(line), { pid: 4242, state: 'S', ppid: 17, pgrp: 4242, session: 4242, startTicks: 987654 });
  });

  it('splits after the LAST ")" so a comm with spaces and parentheses parses', () => {
    const own = readProcStat(process.pid);
    assert.ok(own);
    for (const comm of ['a) b (c', 'x) S 1 2 3 4', ')', '((', 'sp ace', ') R 9 9 9 9 ']) {
      const parsed = parseProcStat(statLineWithComm(comm));
      assert.deepEqual(parsed, own, `comm ${JSON.stringify(comm)}`);
    }
  });

  it('returns null for text that is not a stat line', () => {
    for (const text of ['', 'garbage', '12 (x)', '12 (x) S', 'x (y) S 1 2 3 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5', '12 (x) S 1 2 3 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 abc', '12 (x) 7 1 2 3 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5']) {
      assert.equal(parseProcStat(text), null, JSON.stringify(text));
    }
  });
});

/** The parse as it was written first (split every field): the reference the field scanner must match. */
const referenceParse = (text: string): ReturnType<typeof parseProcStat> => {
  const open = text.indexOf(' (');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const int = (t: string | undefined): number | undefined => (t !== undefined && /^-?\d+$/.test(t) && Number.isSafeInteger(Number(t)) ? Number(t) : undefined);
  const pid = int(text.slice(0, open));
  const rest = text.slice(close + 1).trim().split(/\s+/);
  const [state, ppid, pgrp, session, startTicks] = [rest[0], int(rest[1]), int(rest[2]), int(rest[3]), int(rest[19])];
  if (pid === undefined || state === undefined || !/^[A-Za-z]$/.test(state) || ppid === undefined || pgrp === undefined || session === undefined || startTicks === undefined) return null;
  return { pid, state, ppid, pgrp, session, startTicks };
};

describe('parseProcStat against the split-every-field reference', () => {
  it('gives the same for every process on this machine, for odd whitespace, and for lines cut anywhere', () => {
    const lines = fs
      .readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .flatMap((pid) => {
        try {
          return [fs.readFileSync(`/proc/${pid}/stat`, 'utf8')];
        } catch {
          return [];
        }
      });
    assert.ok(lines.length > 3, `${lines.length} stat lines`);
    const variants = lines.flatMap((line) => {
      const close = line.lastIndexOf(')');
      const head = line.slice(0, close + 1);
      const tail = line.slice(close + 1);
      return [line, head + tail.replace(/ /g, '  '), head + tail.replace(/ /g, '\t'), `${line}\n\n`, head + tail.trim(), ...Array.from({ length: 12 }, (_, i) => line.slice(0, Math.floor((line.length * i) / 12)))];
    });
    for (const text of variants) assert.deepEqual(parseProcStat(text), referenceParse(text), JSON.stringify(text));
  });
});

describe('readProcStat', () => {
  it('reads this process: pid, parent, running or sleeping', () => {
    assert.equal(procAvailable(), true);
    const stat = readProcStat(process.pid);
    assert.ok(stat);
    assert.equal(stat.pid, process.pid);
    assert.equal(stat.ppid, process.ppid);
    assert.match(stat.state, /^[RS]$/);
  });

  it('gives null for pids that cannot or do not exist', () => {
    const pidMax = Number(fs.readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
    for (const pid of [0, -1, -process.pid, 1.5, Number.NaN, Number.POSITIVE_INFINITY, pidMax + 1]) {
      assert.equal(readProcStat(pid), null, String(pid));
    }
  });

  it('parses a live process whose comm has spaces and parentheses (run through an oddly named symlink to node)', async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'captain-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const name = 'w) S 1 (x y';
    const link = path.join(dir, name);
    fs.symlinkSync(process.execPath, link);
    const worker = await spawnReady('hang.mjs', { execPath: link });
    assert.equal(fs.readFileSync(`/proc/${worker.pid}/comm`, 'utf8').trim(), name, 'the kernel took the symlink name as comm');
    const stat = readProcStat(worker.pid);
    assert.ok(stat);
    assert.equal(stat.pid, worker.pid);
    assert.equal(stat.ppid, process.pid);
    assert.equal(stat.pgrp, worker.pid, 'detached: leads its own group');
    assert.equal(stat.session, worker.pid, 'detached: leads its own session');
    assert.match(stat.state, /^[RS]$/);
  });

  after(killAllSpawned);
});

describe('boot time, boot id and start times', () => {
  it('bootTimeMs matches now minus /proc/uptime (btime has whole seconds)', () => {
    const uptimeS = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    const boot = bootTimeMs();
    assert.ok(boot !== null);
    assert.ok(Math.abs(Date.now() - uptimeS * 1000 - boot) < 2_000, `boot ${boot}`);
    assert.equal(bootTimeMs(), boot);
  });

  it('bootId is the kernel boot uuid', () => {
    const id = bootId();
    assert.match(id ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(id, fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
  });

  it('startTimeMs of this process is when it started (to about a second)', () => {
    const stat = readProcStat(process.pid);
    assert.ok(stat);
    const started = startTimeMs(stat.startTicks);
    assert.ok(started !== null);
    const expected = Date.now() - process.uptime() * 1000;
    assert.ok(Math.abs(started - expected) < 1_500, `started ${started} vs ${expected}`);
    assert.equal(CLOCK_TICKS_PER_SECOND, 100);
    assert.equal(startTimeMs(250), (bootTimeMs() ?? 0) + 2_500);
  });
});

describe('runsProgram (the cheaper first look of a pass)', () => {
  it('where it says a process runs, that process has a live stat line (neither zombie nor dead), on every process of the machine', () => {
    let running = 0;
    for (const name of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      const pid = Number(name);
      if (!runsProgram(pid)) continue;
      const stat = readProcStat(pid);
      // A process may exit between the looks (other tests run beside this one): only one that still
      // runs a program after its stat line was read contradicts it by being Z or X.
      if (stat === null || !runsProgram(pid)) continue;
      running += 1;
      assert.ok(stat.state !== 'Z' && stat.state !== 'X', `pid ${pid}: runsProgram says it runs, its stat line says ${stat.state}`);
    }
    assert.ok(running > 0, 'at least this process runs a program');
    assert.equal(runsProgram(process.pid), true);
  });

  it('is false for a pid with no process and for values that cannot name one, and for kernel threads (no program image)', () => {
    assert.equal(runsProgram(4_194_000), false);
    for (const pid of [0, -1, 1.5, Number.NaN]) assert.equal(runsProgram(pid), false, String(pid));
    const kthreadd = readProcStat(2);
    if (kthreadd !== null && kthreadd.ppid === 0) assert.equal(runsProgram(2), false, 'kthreadd has no exe link');
  });
});

describe('rememberingProcStat (one observation pass)', () => {
  it('reads each pid once: a process that exits after the first look stays as first seen, a fresh read sees it gone', async () => {
    const worker = await spawnReady('hang.mjs');
    const pid = worker.pid;
    const remembered = rememberingProcStat();
    const first = remembered(pid);
    assert.ok(first !== null && first.pid === pid);
    assert.equal(isPidAlive(pid, remembered), true);
    worker.child.kill('SIGKILL');
    await worker.exited;
    await waitFor(() => readProcStat(pid) === null, 'the killed worker to be reaped');
    assert.equal(remembered(pid), first, 'remembered for the pass');
    assert.equal(isPidAlive(pid, remembered), true);
    assert.equal(isPidAlive(pid), false, 'a fresh look sees it gone');
    assert.equal(rememberingProcStat()(pid), null, 'a new pass sees it gone');
  });

  it('remembers a missing pid as missing too', () => {
    const remembered = rememberingProcStat();
    assert.equal(remembered(4_194_000), null);
    assert.equal(isPidAlive(4_194_000, remembered), false);
  });

  after(killAllSpawned);
});
