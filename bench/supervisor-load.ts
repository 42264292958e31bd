/**
 * The supervisor under load (issue 3, section 8), as a real `captain supervise` process:
 *  A. reclaim latency: hung workers with a short stuck threshold; for each, the time from the
 *     moment it crossed timeout + grace to its whole process group being gone (target ≤ 1 s);
 *  B. idle cost: 100 live quiet workers watched for 60 s; the supervisor's CPU (share of one
 *     core, from /proc/<pid>/stat) and RSS (target ≤ 2 % and ≤ 120 MB).
 *
 *   npm run build && node --import tsx bench/supervisor-load.ts [--hung 10] [--quiet 100] [--seconds 60]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_RUNTIME_CONFIG } from '../src/config/defaults.js';
import { openRunContext, type RunContext } from '../src/ops/context.js';
import { delegate } from '../src/ops/delegate.js';
import { createRun } from '../src/ops/runs.js';
import { cancelDelegation } from '../src/ops/worker.js';
import { listGroupMembers } from '../src/process/group.js';
import { readProcStat } from '../src/process/proc-stat.js';
import { loadDelegations } from '../src/store/records.js';
import type { JsonObject } from '../src/util/json.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const CLI = fileURLToPath(new URL('../dist/bin/captain.js', import.meta.url));
const HANG = fileURLToPath(new URL('../test/fixtures/workers/hang.mjs', import.meta.url));
const STUBBORN = fileURLToPath(new URL('../test/fixtures/workers/ignore-sigterm.mjs', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const root = mkdtempSync(join(tmpdir(), 'captain-bench-sup-'));

const newRun = (name: string, config = DEFAULT_RUNTIME_CONFIG): RunContext => {
  const run = createRun({ runDir: join(root, name), title: name });
  return openRunContext(run.run_dir, config);
};
const startSupervise = (ctx: RunContext, flags: string[]): ChildProcess =>
  spawn(process.execPath, [CLI, 'supervise', '--run-dir', ctx.runDir, ...flags], { stdio: 'ignore' });
const lifecycles = (ctx: RunContext): JsonObject[] => loadDelegations(ctx.runDir).records.map((r) => r.record.worker_lifecycle as JsonObject);

/** A. Reclaim latency. */
const reclaimLatency = async (count: number): Promise<number[]> => {
  const stuck = 2_000;
  const grace = 500;
  const ctx = newRun('reclaim', { ...DEFAULT_RUNTIME_CONFIG, worker_stuck_after_ms: stuck, worker_kill_grace_ms: grace });
  // Half of them ignore SIGTERM, so the grace period and SIGKILL are exercised too.
  for (let i = 0; i < count; i++) await delegate(ctx, { kind: 'command', argv: [process.execPath, i % 2 === 0 ? HANG : STUBBORN], cwd: root });
  const sup = startSupervise(ctx, ['--worker-stuck-after-ms', String(stuck), '--worker-kill-grace-ms', String(grace), '--worker-max-retries-per-phase', '0']);
  const goneAt = new Map<number, number>();
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const all = lifecycles(ctx);
    for (const l of all) {
      const pid = Number(l.process_id);
      if (pid > 0 && !goneAt.has(pid) && l.reclaim_state === 'reclaimed' && listGroupMembers(pid).length === 0) goneAt.set(pid, Date.now());
    }
    if (goneAt.size === count) break;
    await sleep(10);
  }
  sup.kill('SIGTERM');
  // From the moment the worker crossed its timeout (last progress + threshold) to its group being gone.
  return lifecycles(ctx)
    .map((l) => (goneAt.get(Number(l.process_id)) ?? Number.NaN) - (Date.parse(String(l.last_progress_at)) + stuck))
    .sort((a, b) => a - b);
};

/** B. The supervisor's cost while many workers are alive and quiet. */
const idleCost = async (count: number, seconds: number): Promise<{ cpuPercent: number; rssMb: number; hwmMb: number; monitorRssMb: number }> => {
  // Alive and quiet for the whole window: quiet after 1 s, stuck only after 10 min.
  const ctx = newRun('idle', { ...DEFAULT_RUNTIME_CONFIG, worker_stuck_after_ms: 600_000, worker_quiet_after_ms: 1_000 });
  for (let i = 0; i < count; i++) await delegate(ctx, { kind: 'command', argv: [process.execPath, HANG], cwd: root });
  while (lifecycles(ctx).some((l) => l.process_id === null)) await sleep(100);
  const sup = startSupervise(ctx, ['--worker-stuck-after-ms', '600000', '--worker-quiet-after-ms', '1000']);
  await sleep(2_000); // start-up and the first pass are not the steady state
  const ticks = (): number => {
    const text = readFileSync(`/proc/${sup.pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime (fields 14, 15)
  };
  const before = ticks();
  const started = Date.now();
  await sleep(seconds * 1000);
  const cpuPercent = ((ticks() - before) / 100 / ((Date.now() - started) / 1000)) * 100;
  const status = readFileSync(`/proc/${sup.pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
  const monitorPids = lifecycles(ctx).map((l) => Number(l.monitor_process_id)).filter((p) => readProcStat(p) !== null);
  const monitorRss = monitorPids.map((p) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0));
  sup.kill('SIGTERM');
  await sleep(300);
  for (const r of loadDelegations(ctx.runDir).records) await cancelDelegation(ctx, String(r.record.delegation_id), 'bench over');
  return { cpuPercent, rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024, monitorRssMb: monitorRss.reduce((a, b) => a + b, 0) / Math.max(monitorRss.length, 1) / 1024 };
};

try {
  const hung = arg('--hung', 10);
  const latencies = await reclaimLatency(hung);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
  console.log(`| measure | value | target |\n| --- | ---: | --- |`);
  console.log(`| reclaim: ${hung} hung workers (half ignore SIGTERM, grace 500 ms): timeout crossed → whole group gone, p50 / max | ${pct(50)} ms / ${latencies.at(-1)} ms | ≤ grace + 1000 ms = 1500 ms |`);
  const quiet = arg('--quiet', 100);
  const seconds = arg('--seconds', 60);
  const idle = await idleCost(quiet, seconds);
  console.log(`| supervisor CPU with ${quiet} live quiet workers over ${seconds} s | ${idle.cpuPercent.toFixed(2)} % of one core | ≤ 2 % |`);
  console.log(`| supervisor RSS (peak) | ${idle.rssMb.toFixed(0)} MB (${idle.hwmMb.toFixed(0)} MB) | ≤ 120 MB |`);
  console.log(`| one worker wrapper's RSS (mean) | ${idle.monitorRssMb.toFixed(0)} MB | - |`);
} finally {
  await sleep(500);
  rmSync(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
}
