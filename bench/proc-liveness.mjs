#!/usr/bin/env node
// What one status pass pays to tell whether N processes are alive, per way of looking, on N live
// `sleep` processes: a readlink of /proc/<pid>/exe (captain's first look, `runsProgram`), the
// /proc/<pid>/stat line read with open + read + close (what decides when the first look cannot),
// and kill(pid, 0) (the floor's, which cannot tell a zombie or a reused pid). The ways alternate,
// --rounds times (default 15); medians and minimums are printed. The sleeps are killed at the end.
//
//   node bench/proc-liveness.mjs [--processes 3010] [--rounds 15]
import { spawn } from 'node:child_process';
import { closeSync, openSync, readlinkSync, readSync } from 'node:fs';

const argValue = (name) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const count = Number(argValue('--processes') ?? 3010);
const rounds = Number(argValue('--rounds') ?? 15);
if (!Number.isSafeInteger(count) || count <= 0 || !Number.isSafeInteger(rounds) || rounds <= 0) {
  console.error('usage: node bench/proc-liveness.mjs [--processes 3010] [--rounds 15]');
  process.exit(2);
}

const children = [];
process.stderr.write(`starting ${count} sleep processes ...\n`);
for (let i = 0; i < count; i += 1) {
  const child = spawn('sleep', ['600'], { stdio: 'ignore' });
  child.on('error', () => undefined);
  children.push(child);
  if (i % 500 === 499) process.stderr.write(`  ${i + 1}\n`);
}
await Promise.all(children.map((child) => new Promise((resolve) => (child.pid !== undefined ? resolve() : child.once('spawn', resolve)))));
const pids = children.map((child) => child.pid).filter((pid) => pid !== undefined);

const buffer = Buffer.allocUnsafe(4096);
const ways = {
  'readlink /proc/<pid>/exe': (pid) => readlinkSync(`/proc/${pid}/exe`, 'buffer'),
  'open + read + close /proc/<pid>/stat': (pid) => {
    const fd = openSync(`/proc/${pid}/stat`, 'r');
    try {
      readSync(fd, buffer, 0, buffer.length, null);
    } finally {
      closeSync(fd);
    }
  },
  'kill(pid, 0)': (pid) => process.kill(pid, 0),
};
const times = Object.fromEntries(Object.keys(ways).map((name) => [name, []]));
try {
  for (let round = 0; round < rounds; round += 1) {
    for (const [name, look] of Object.entries(ways)) {
      const started = performance.now();
      for (const pid of pids) look(pid);
      times[name].push(performance.now() - started);
    }
  }
} finally {
  for (const child of children) child.kill('SIGKILL');
}
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
console.log(`${pids.length} live processes, ${rounds} rounds (the ways alternate), ms per pass:`);
for (const [name, values] of Object.entries(times)) console.log(`${median(values).toFixed(1).padStart(7)} median, ${Math.min(...values).toFixed(1).padStart(6)} min  ${name}`);
