/**
 * What captain itself costs per running worker, and how fast an exit reaches the record, with a
 * real `captain supervise` running. For each N: N workers (`sh -c 'sleep …'`) launched at once;
 * while they run, the RSS of every captain process (the per-worker `sh` wrappers, any launcher
 * still alive, the supervisor) is summed from /proc; the supervisor's CPU is sampled over the
 * window; then the workers exit (spread over 0.2–2 s) and exit → terminal record is timed.
 * The workers' own processes are excluded from the cost.
 *
 *   npm run build && node --import tsx bench/worker-scale.ts [--sizes 10,100,200] [--hold 10]
 *   node --import tsx bench/worker-scale.ts --sizes 100 --storm   # exits inside the launch storm
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RUNTIME_CONFIG } from '../src/config/defaults.js';
import { openRunContext } from '../src/ops/context.js';
import { delegate } from '../src/ops/delegate.js';
import { createRun } from '../src/ops/runs.js';
import { delegationPath } from '../src/store/paths.js';
import { CLI } from '../test/helpers/cli.js';

const argOf = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const sizes = (argOf('--sizes') ?? '10,100,200').split(',').map(Number);
const holdSeconds = Number(argOf('--hold') ?? '8');
const storm = process.argv.includes('--storm');

const statusOf = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return '';
  }
};
const kb = (text: string, key: string): number => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(text)?.[1] ?? 0);
const cmdline = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
};
const cpuTicks = (pid: number): number => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
};
/** Pids of captain's own processes for this run: wrappers and launchers/finalizers (dist/monitor/main.js). */
const captainPids = (runDir: string): { wrappers: number[]; node: number[] } => {
  const wrappers: number[] = [];
  const node: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const cmd = cmdline(Number(name));
    if (!cmd.includes(runDir)) continue;
    if (cmd.includes('captain-wrapper')) wrappers.push(Number(name));
    else if (cmd.includes('monitor/main.js')) node.push(Number(name));
  }
  return { wrappers, node };
};
const pct = (values: number[], p: number): number => values[Math.min(values.length - 1, Math.floor((p / 100) * values.length))] ?? Number.NaN;

console.log('| workers | launch | captain RSS per running worker | wrappers | launchers alive | supervisor CPU | supervisor RSS (peak) | exit → record p50 / p95 / max |');
console.log('| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |');
const stormSeen = new Map<string, number>();
for (const n of sizes) {
  stormSeen.clear();
  const root = mkdtempSync(join(tmpdir(), 'captain-bench-scale-'));
  const run = createRun({ runDir: join(root, 'run'), title: `worker scale ${n}` });
  const ctx = openRunContext(run.run_dir, { ...DEFAULT_RUNTIME_CONFIG, worker_stuck_after_ms: 600_000, worker_max_retries_per_phase: 0 });
  const supervisor = spawn(process.execPath, [CLI, 'supervise', '--run-dir', run.run_dir, '--worker-stuck-after-ms', '600000'], { stdio: 'ignore' });
  while (!existsSync(join(run.run_dir, 'supervisor.json'))) await new Promise((r) => setTimeout(r, 20));
  const gate = join(root, 'go');
  // Each worker waits for the gate file (or, with --storm, a random 0.2–2 s), then prints its exit time in ms.
  const wait = storm ? 'sleep $(awk "BEGIN{srand(); print 0.2+rand()*1.8}")' : `while [ ! -f ${gate} ]; do sleep 0.2; done; sleep $(awk "BEGIN{srand($$); print 0.2+rand()*1.8}")`;
  const script = `${wait}; printf '{"exit_at":%s}\\n' $(date +%s%3N)`;
  const launchStarted = Date.now();
  let ids: string[];
  if (storm) {
    // Launched from another process, so this one notices terminal records while launches go on.
    const launcher = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `
      const { openRunContext } = await import(${JSON.stringify(new URL('../src/ops/context.ts', import.meta.url).pathname)});
      const { delegate } = await import(${JSON.stringify(new URL('../src/ops/delegate.ts', import.meta.url).pathname)});
      const ctx = openRunContext(${JSON.stringify(run.run_dir)}, ${JSON.stringify({ ...DEFAULT_RUNTIME_CONFIG, worker_stuck_after_ms: 600_000 })});
      for (let i = 0; i < ${n}; i += 1) await delegate(ctx, { kind: 'command', argv: ['sh', '-c', ${JSON.stringify(script)}], cwd: ${JSON.stringify(root)} });
    `], { stdio: 'inherit' });
    const seenEarly = new Map<string, number>();
    const dir = join(run.run_dir, 'delegations');
    while (launcher.exitCode === null || seenEarly.size < n) {
      for (const name of readdirSync(dir)) {
        if (!name.endsWith('.json') || seenEarly.has(name)) continue;
        try {
          const record = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { child_agent?: { status?: string } };
          if (record.child_agent?.status === 'completed' || record.child_agent?.status === 'failed') seenEarly.set(name, Date.now());
        } catch {
          // mid-rename
        }
      }
      if (launcher.exitCode !== null && Date.now() - launchStarted > 60_000) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    ids = [...seenEarly.keys()].map((name) => name.slice(0, -'.json'.length));
    for (const [name, at] of seenEarly) stormSeen.set(name.slice(0, -'.json'.length), at);
  } else {
    ids = await Promise.all(Array.from({ length: n }, async () => (await delegate(ctx, { kind: 'command', argv: ['sh', '-c', script], cwd: root })).delegation_id));
  }
  const launchMs = Date.now() - launchStarted;
  let rssPerWorker = Number.NaN;
  let wrappers = 0;
  let launchers = 0;
  let cpuPercent = Number.NaN;
  if (!storm) {
    await new Promise((r) => setTimeout(r, 2_000)); // launchers finish and exit
    const before = cpuTicks(supervisor.pid!);
    const t0 = Date.now();
    let peak = 0;
    for (let s = 0; s < holdSeconds; s += 1) {
      await new Promise((r) => setTimeout(r, 1_000));
      const pids = captainPids(run.run_dir);
      wrappers = pids.wrappers.length;
      launchers = pids.node.length;
      const total = [...pids.wrappers, ...pids.node].reduce((sum, pid) => sum + kb(statusOf(pid), 'VmRSS'), 0);
      peak = Math.max(peak, total);
    }
    cpuPercent = ((cpuTicks(supervisor.pid!) - before) / 100 / ((Date.now() - t0) / 1000)) * 100;
    rssPerWorker = peak / 1024 / n;
    writeFileSync(gate, '');
  }
  const seen = new Map<string, number>(stormSeen);
  const deadline = Date.now() + 60_000;
  while (seen.size < ids.length && Date.now() < deadline) {
    for (const id of ids) {
      if (seen.has(id)) continue;
      try {
        const record = JSON.parse(readFileSync(delegationPath(ctx.runDir, id), 'utf8')) as { child_agent?: { status?: string } };
        if (record.child_agent?.status === 'completed' || record.child_agent?.status === 'failed') seen.set(id, Date.now());
      } catch {
        // mid-rename
      }
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const latencies = ids
    .map((id) => {
      const last = readFileSync(join(ctx.runDir, 'raw-events', `${id}.jsonl`), 'utf8').trim().split('\n').pop() ?? '{}';
      const exitAt = (JSON.parse(last) as { exit_at?: number }).exit_at;
      const at = seen.get(id);
      return exitAt === undefined || at === undefined ? undefined : at - exitAt;
    })
    .filter((v): v is number => v !== undefined)
    .sort((a, b) => a - b);
  const supRss = statusOf(supervisor.pid!);
  console.log(
    `| ${n} | ${storm ? 'storm: exits 0.2–2 s after launch' : 'all at once'} (${launchMs} ms) | ${Number.isNaN(rssPerWorker) ? '–' : `${rssPerWorker.toFixed(2)} MB`} | ${storm ? '–' : wrappers} | ${storm ? '–' : launchers} | ${Number.isNaN(cpuPercent) ? '–' : `${cpuPercent.toFixed(2)} %`} | ${(kb(supRss, 'VmRSS') / 1024).toFixed(0)} MB (${(kb(supRss, 'VmHWM') / 1024).toFixed(0)} MB) | ${latencies.length}/${n}: ${pct(latencies, 50)} / ${pct(latencies, 95)} / ${latencies.at(-1)} ms |`,
  );
  supervisor.kill('SIGTERM');
  await new Promise((r) => supervisor.once('exit', r));
  rmSync(root, { recursive: true, force: true });
}
