/**
 * `captain status --json` at scale, as a fresh process: wall time and peak RSS for runs of 1k, 10k
 * and 100k delegations in upstream CCC's layout (see bench/lib/ccc-run.ts for the mix of states).
 *
 *   npm run build && node --import tsx bench/status-scale.ts [--sizes 1000,10000,100000] [--runs 5] [--keep] [--profile] [--cli dist/bin/captain.js] [--baseline OTHER_CLI] [--floor]
 *
 * Per size, three modes, `--runs` fresh processes each (median/min/max):
 * - `snapshot`: `--snapshot`, read-only;
 * - `refresh, first`: the first writing refresh (progress for some running records, finalization
 *   for the terminal and dead-pid ones); the rewritten records are put back between runs;
 * - `refresh, steady`: later refreshes, nothing left to write.
 * The measured command is `captain status --run-dir DIR --json [--snapshot] --worker-stuck-after-ms
 * 86400000` (the flag only lets the records' hour-scale thresholds apply, so states do not drift while
 * the bench runs). Page cache warm (the run was just written). `--profile` adds one `--cpu-prof`
 * run per mode and prints where the time goes. `--keep` leaves the run directories (the live
 * processes their records name are killed at the end either way). Targets (issue 2 §9): 10k ≤ 0.6 s
 * and ≤ 150 MB; 100k ≤ 6 s. `--baseline OTHER_CLI` measures another build (e.g. an earlier commit's
 * `dist/cli/main.js` in a git worktree) in the same cells, its runs alternating with this build's, so
 * both see the same machine load.
 *
 * `--upstream-shaped` (issue 8 section 6) measures instead, per size, one upstream-shaped run
 * (pretty records with upstream's fields, 30% running, every running record on a live `sleep`
 * process — `--sleepers N`, default 300 — and raw events files) side by side in one run: the floor
 * (bench/status-floor.mjs), `status` without the record cache (CAPTAIN_NO_RECORD_CACHE=1), with a
 * cold cache (deleted before the run, written at its end) and a warm one, and `--snapshot` without
 * a cache and on the one status wrote (snapshot never writes it), with each one's ratio to the floor (and, with `--baseline`, that build's status and
 * `--snapshot`). Target: ≤ 1.5x the floor, ≤ 150 MB. `--cold-page-cache` evicts the run's files from the
 * page cache before each process (needs python3). `--stdout pipe|file` (default file): where each
 * measured process writes (see STDOUT below).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { captureProcessIdentity } from '../src/process/identity.js';
import { BENCH_STUCK_AFTER_MS, generateCccRun, restoreFirstRefreshRecords, UPSTREAM_SHAPED_MIX, type LiveProcess } from './lib/ccc-run.js';
import { measureCli, summarizeCpuProfile, workerCounts, writeWrapper, type CliMeasurement } from './lib/cli-measure.js';

const argValue = (name: string): string | undefined => {
  const index = process.argv.indexOf(name);
  return index === -1 ? undefined : process.argv[index + 1];
};
/** `--cli PATH` measures another build (e.g. a copy of dist/ from before a change). */
const CLI = argValue('--cli') ?? fileURLToPath(new URL('../dist/bin/captain.js', import.meta.url));
const BASELINE = argValue('--baseline');
const LIVE_PROCESSES = 6;
const OTHER_CARD_DELEGATIONS = 25;

const sizes = (argValue('--sizes') ?? '1000,10000,100000').split(',').map((s) => Number(s.trim()));
const runs = Number(argValue('--runs') ?? 5);
const keep = process.argv.includes('--keep');
const profile = process.argv.includes('--profile');
if (sizes.some((n) => !Number.isSafeInteger(n) || n <= 0) || !Number.isSafeInteger(runs) || runs <= 0) {
  console.error('usage: node --import tsx bench/status-scale.ts [--sizes 1000,10000,100000] [--runs 5] [--keep] [--profile] [--cli dist/bin/captain.js] [--baseline OTHER_CLI]');
  process.exit(2);
}
for (const cli of [CLI, ...(BASELINE === undefined ? [] : [BASELINE])]) {
  if (!existsSync(cli)) {
    console.error(`${cli} is missing: run \`npm run build\` first`);
    process.exit(1);
  }
}
const UPSTREAM_SHAPED = process.argv.includes('--upstream-shaped');
/**
 * `--stdout pipe`: each measured process writes into a pipe this bench reads (as before
 * 2026-12-04). Default `file`: into a file beside the run, as `> out.json` (see measureCli): the
 * floor prints nothing, and a Node reader draining 20 MB from a pipe made captain wait ~60–90 ms for
 * the bench itself.
 */
const STDOUT = argValue('--stdout') ?? 'file';
if (STDOUT !== 'file' && STDOUT !== 'pipe') {
  console.error('--stdout is file or pipe');
  process.exit(2);
}
const stdoutFileIn = (root: string): { stdoutFile?: string } => (STDOUT === 'file' ? { stdoutFile: join(root, 'stdout.json') } : {});
const FLOOR_SCRIPT = fileURLToPath(new URL('./status-floor.mjs', import.meta.url));
/** The builds measured, this one first. */
const FLOOR = process.argv.includes('--floor') ? fileURLToPath(new URL('./status-floor.mjs', import.meta.url)) : undefined;
const BUILDS: { label: string; cli: string }[] = [
  { label: 'captain', cli: CLI },
  ...(BASELINE === undefined ? [] : [{ label: 'baseline', cli: BASELINE }]),
  // --floor: a bare scan of the same files (bench/status-floor.mjs), the yardstick of issue 8 section 6.
  ...(FLOOR === undefined ? [] : [{ label: 'floor (bare scan)', cli: FLOOR }]),
];

type Mode = 'snapshot' | 'refresh, first' | 'refresh, steady';
interface Cell {
  build: string;
  size: number;
  mode: Mode;
  samples: CliMeasurement[];
}

const live: ChildProcess[] = [];
const roots: string[] = [];
const cleanup = (): void => {
  for (const child of live) if (child.exitCode === null && child.pid !== undefined) child.kill('SIGKILL');
  live.length = 0;
  if (!keep) for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
};
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

/** Long-lived processes (node, or `sleep`) the running records point at; their start time as upstream records it. */
const startLiveProcesses = async (count: number, command: 'node' | 'sleep' = 'node'): Promise<LiveProcess[]> => {
  const processes: LiveProcess[] = [];
  for (let i = 0; i < count; i += 1) {
    const child = command === 'sleep'
      ? spawn('sleep', ['86400'], { stdio: 'ignore' })
      : spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
    live.push(child);
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    const identity = child.pid === undefined ? null : captureProcessIdentity(child.pid);
    if (identity === null) throw new Error(`could not read the identity of live process ${String(child.pid)}`);
    processes.push({ pid: identity.pid, startedAt: identity.started_at });
  }
  return processes;
};

/** The pid of a process that has already exited. */
const exitedPid = (): number => {
  const result = spawnSync(process.execPath, ['-e', '']);
  if (result.pid === undefined) throw new Error('could not spawn a short-lived process');
  return result.pid;
};

const stats = (values: number[]): { median: number; min: number; max: number } => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted[sorted.length - 1] as number };
};

const checked = (m: CliMeasurement, what: string): CliMeasurement => {
  if (m.exitCode !== 0) throw new Error(`${what}: exit ${String(m.exitCode)}\n${m.stderr}`);
  if (!/"errors": ?\[\]\s*\}\s*$/.test(m.tail)) console.warn(`warning: ${what}: the output reports errors: ${m.tail.slice(-500)}`);
  return m;
};

const load = (): string => loadavg().map((n) => n.toFixed(2)).join(' ');

const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);

const benchSize = async (size: number, liveProcesses: LiveProcess[], deadPid: number): Promise<Cell[]> => {
  const root = mkdtempSync(join(tmpdir(), 'captain-bench-status-'));
  roots.push(root);
  const genStarted = performance.now();
  const run = generateCccRun({ runDir: join(root, 'run'), delegations: size, otherCardDelegations: OTHER_CARD_DELEGATIONS, liveProcesses, deadPid, nowMs: Date.now() });
  const mix = [...run.countsByKind].map(([kind, n]) => `${kind} ${n}`).join(', ');
  console.log(`\n## ${size} delegations (+${OTHER_CARD_DELEGATIONS} in a second task card) in ${run.runDir} (load average ${load()})`);
  console.log(`generated in ${((performance.now() - genStarted) / 1000).toFixed(1)} s: records ${mb(run.recordBytes)} MB ` +
    `(avg ${Math.round(run.recordBytes / (size + OTHER_CARD_DELEGATIONS))} B pretty, ${Math.round(run.compactRecordBytes / (size + OTHER_CARD_DELEGATIONS))} B compact), ${run.rawEventFiles} raw events files ${mb(run.rawEventBytes)} MB, ` +
    `${run.liveProcessRecords} records on live pids`);
  console.log(`mix: ${mix}`);
  const wrapper = writeWrapper(root);
  const base = ['status', '--run-dir', run.runDir, '--json', '--worker-stuck-after-ms', String(BENCH_STUCK_AFTER_MS)];
  const env = { HOME: root }; // no user ~/.config/ccc/ccc-config.toml
  const measure = (args: string[], what: string, nodeArgs: string[] = [], cli = CLI): Promise<CliMeasurement> =>
    measureCli(wrapper, cli, args, { env, nodeArgs, ...stdoutFileIn(root) }).then((m) => checked(m, what));

  // Each mode: `runs` rounds, each build once per round (alternating, so both see the same load).
  const cells: Cell[] = [];
  const modeCells = async (mode: Mode, args: string[], before?: (round: number, build: number) => void): Promise<Cell[]> => {
    const samples = BUILDS.map(() => [] as CliMeasurement[]);
    for (let round = 0; round < runs; round += 1) {
      for (const [b, build] of BUILDS.entries()) {
        before?.(round, b);
        samples[b]?.push(await measure(args, `${size} ${mode} (${build.label})`, [], build.cli));
      }
    }
    return BUILDS.map((build, b) => ({ build: build.label, size, mode, samples: samples[b] ?? [] }));
  };
  const snapshotCells = await modeCells('snapshot', [...base, '--snapshot']);
  // Every first refresh starts from the records as generated.
  const firstCells = await modeCells('refresh, first', base, (round, b) => {
    if (round > 0 || b > 0) restoreFirstRefreshRecords(run);
  });
  const steadyCells = await modeCells('refresh, steady', base);
  cells.push(...snapshotCells, ...firstCells, ...steadyCells);
  const snapshot = snapshotCells[0]?.samples ?? [];
  const steady = steadyCells[0]?.samples ?? [];

  const counts = (m: CliMeasurement | undefined): string =>
    Object.entries(workerCounts(m?.head ?? '')).filter(([, n]) => n > 0).map(([k, n]) => `${k.replace(/_worker_count$/, '')} ${n}`).join(', ');
  console.log(`counts, snapshot: ${counts(snapshot[0])}`);
  console.log(`counts, after refresh: ${counts(steady[0])}`);

  if (profile) {
    for (const [mode, args] of [['snapshot', [...base, '--snapshot']], ['refresh, steady', base]] as const) {
      const dir = join(root, `prof-${mode.replace(/\W+/g, '-')}`);
      mkdirSync(dir);
      const m = await measure([...args], `${size} ${mode} profile`, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
      const summary = summarizeCpuProfile(dir);
      console.log(`\n### profile, ${size}, ${mode}: ${summary.totalMs.toFixed(0)} ms sampled (wall ${m.wallMs.toFixed(0)} ms under the profiler)`);
      console.log('self time:');
      for (const f of summary.self) console.log(`  ${f.ms.toFixed(1).padStart(8)} ms  ${f.name}`);
      console.log('inclusive time (captain and hot runtime calls):');
      for (const f of summary.inclusive) console.log(`  ${f.ms.toFixed(1).padStart(8)} ms  ${f.name}`);
    }
  }
  if (!keep) {
    rmSync(root, { recursive: true, force: true });
    roots.splice(roots.indexOf(root), 1);
  }
  return cells;
};

/** The fixed cost: `status --snapshot` on a run without delegations (node start-up, module loading). */
const benchEmptyRun = async (): Promise<Cell> => {
  const root = mkdtempSync(join(tmpdir(), 'captain-bench-status-'));
  roots.push(root);
  const run = generateCccRun({ runDir: join(root, 'run'), delegations: 0, otherCardDelegations: 0, liveProcesses: [], deadPid: 0, nowMs: Date.now() });
  const wrapper = writeWrapper(root);
  const samples: CliMeasurement[] = [];
  for (let i = 0; i < runs; i += 1) {
    samples.push(checked(await measureCli(wrapper, CLI, ['status', '--run-dir', run.runDir, '--json', '--snapshot'], { env: { HOME: root }, ...stdoutFileIn(root) }), 'empty run'));
  }
  return { build: 'captain', size: 0, mode: 'snapshot', samples };
};

const target = (size: number): { ms: number; rssMb: number | null } | null =>
  size === 10_000 ? { ms: 600, rssMb: 150 } : size === 100_000 ? { ms: 6_000, rssMb: null } : null;

const printTable = (cells: Cell[]): void => {
  console.log(`\nmachine: ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'}), node ${process.version}, ${runs} fresh processes per cell, warm page cache, load average now ${load()}`);
  console.log('\n| build | delegations | mode | wall ms median | min | max | CPU ms (median) | peak RSS MB (median) | stdout MB | in-process ms | JSON.stringify ms | stdout write+drain ms | target | met |');
  console.log('| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | :---: |');
  for (const cell of cells) {
    const wall = stats(cell.samples.map((s) => s.wallMs));
    const rss = stats(cell.samples.map((s) => s.maxRssMb)).median;
    const t = target(cell.size);
    const goal = t === null ? '–' : `≤ ${t.ms} ms${t.rssMb === null ? '' : `, ≤ ${t.rssMb} MB`}`;
    const met = t === null ? '' : wall.median <= t.ms && (t.rssMb === null || rss <= t.rssMb) ? 'yes' : 'NO';
    const med = (pick: (s: CliMeasurement) => number): string => stats(cell.samples.map(pick)).median.toFixed(0);
    console.log(
      `| ${cell.build} | ${cell.size} | ${cell.mode} | ${wall.median.toFixed(0)} | ${wall.min.toFixed(0)} | ${wall.max.toFixed(0)} | ${med((s) => s.cpuMs)} | ${rss.toFixed(0)} | ` +
        `${mb(cell.samples[0]?.stdoutBytes ?? 0)} | ${med((s) => s.inProcessMs)} | ${med((s) => s.stringifyMs)} | ${med((s) => s.writeMs)} | ${goal} | ${met} |`,
    );
  }
};

/**
 * `--cold-page-cache`: evicts every file of the run (records, raw events, the record cache) from the
 * page cache before each measured process (posix_fadvise DONTNEED, through python3: Node has no
 * fadvise), as after a while without looking at the run.
 */
const COLD_PAGE_CACHE = process.argv.includes('--cold-page-cache');
const DROP_PAGE_CACHE = `import os, sys
for d, _, files in os.walk(sys.argv[1]):
    for f in files:
        try:
            fd = os.open(os.path.join(d, f), os.O_RDONLY | os.O_NONBLOCK)
        except OSError:
            continue
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        os.close(fd)
`;
const dropPageCache = (dir: string): void => {
  const result = spawnSync('python3', ['-c', DROP_PAGE_CACHE, dir], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error('--cold-page-cache needs python3 (os.posix_fadvise)');
};

/** Issue 8 section 6: the floor, and captain without, with a cold and with a warm record cache, on an upstream-shaped run. */
const benchUpstreamShaped = async (size: number, sleepers: LiveProcess[]): Promise<void> => {
  const root = mkdtempSync(join(tmpdir(), 'captain-bench-status-'));
  roots.push(root);
  const genStarted = performance.now();
  const run = generateCccRun({ runDir: join(root, 'run'), delegations: size, otherCardDelegations: OTHER_CARD_DELEGATIONS, liveProcesses: sleepers, liveShare: 1, mix: UPSTREAM_SHAPED_MIX, deadPid: 0, nowMs: Date.now() });
  const mix = [...run.countsByKind].map(([kind, n]) => `${kind} ${n}`).join(', ');
  console.log(`\n## upstream-shaped, ${size} delegations (+${OTHER_CARD_DELEGATIONS} in a second task card) in ${run.runDir} (load average ${load()})`);
  console.log(`generated in ${((performance.now() - genStarted) / 1000).toFixed(1)} s: records ${mb(run.recordBytes)} MB (avg ${Math.round(run.recordBytes / (size + OTHER_CARD_DELEGATIONS))} B pretty), ` +
    `${run.rawEventFiles} raw events files ${mb(run.rawEventBytes)} MB, ${run.liveProcessRecords} records on ${sleepers.length} live sleep processes`);
  console.log(`mix: ${mix}`);
  const wrapper = writeWrapper(root);
  const base = ['status', '--run-dir', run.runDir, '--json', '--worker-stuck-after-ms', String(BENCH_STUCK_AFTER_MS)];
  const cacheDir = join(run.runDir, '.captain-cache');
  // One writing status first, so every variant measures the steady state; then past the cache's racy margin.
  checked(await measureCli(wrapper, CLI, base, { env: { HOME: root, CAPTAIN_NO_RECORD_CACHE: '1' } }), 'warm-up');
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  const variants: { label: string; cli: string; args: string[]; env?: NodeJS.ProcessEnv; cold?: boolean }[] = [
    { label: 'floor (bare scan)', cli: FLOOR_SCRIPT, args: base },
    { label: 'status, no cache', cli: CLI, args: base, env: { CAPTAIN_NO_RECORD_CACHE: '1' } },
    // --snapshot never writes the cache: "cold" runs without one, "warm" on the one status wrote.
    { label: '--snapshot, cold cache', cli: CLI, args: [...base, '--snapshot'], cold: true },
    { label: 'status, cold cache', cli: CLI, args: base, cold: true },
    { label: 'status, warm cache', cli: CLI, args: base },
    { label: '--snapshot, warm cache', cli: CLI, args: [...base, '--snapshot'] },
    // --baseline: another build (e.g. before the cache), as it runs.
    ...(BASELINE === undefined
      ? []
      : [
          { label: 'baseline status', cli: BASELINE, args: base },
          { label: 'baseline --snapshot', cli: BASELINE, args: [...base, '--snapshot'] },
        ]),
  ];
  const samples = variants.map(() => [] as CliMeasurement[]);
  for (let round = 0; round < runs; round += 1) {
    for (const [v, variant] of variants.entries()) {
      if (variant.cold === true) rmSync(cacheDir, { recursive: true, force: true });
      if (COLD_PAGE_CACHE) dropPageCache(run.runDir);
      samples[v]?.push(checked(await measureCli(wrapper, variant.cli, variant.args, { env: { HOME: root, ...variant.env }, ...stdoutFileIn(root) }), `${size} ${variant.label}`));
    }
  }
  const floorMs = stats((samples[0] ?? []).map((m) => m.wallMs)).median;
  const floorCpu = stats((samples[0] ?? []).map((m) => m.cpuMs)).median;
  console.log(`\nmachine: ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'}), node ${process.version}, ${runs} rounds (each variant once per round, in this order), ${COLD_PAGE_CACHE ? 'the run evicted from the page cache before each process' : 'warm page cache'}, stdout to a ${STDOUT}, load average now ${load()}`);
  console.log('\n| variant | delegations | wall ms median | min | max | x floor (wall) | CPU ms median | x floor (CPU) | peak RSS MB (median) | target | met |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | :---: |');
  for (const [v, variant] of variants.entries()) {
    const cell = samples[v] ?? [];
    const wall = stats(cell.map((m) => m.wallMs));
    const cpu = stats(cell.map((m) => m.cpuMs)).median;
    const rss = stats(cell.map((m) => m.maxRssMb)).median;
    const isFloor = v === 0;
    const met = isFloor ? '' : wall.median <= 1.5 * floorMs && rss <= 150 ? 'yes' : 'NO';
    console.log(
      `| ${variant.label} | ${size} | ${wall.median.toFixed(0)} | ${wall.min.toFixed(0)} | ${wall.max.toFixed(0)} | ${(wall.median / floorMs).toFixed(2)} | ${cpu.toFixed(0)} | ${(cpu / floorCpu).toFixed(2)} | ${rss.toFixed(0)} | ${isFloor ? '–' : '≤ 1.5x, ≤ 150 MB'} | ${met} |`,
    );
  }
  if (!keep) {
    rmSync(root, { recursive: true, force: true });
    roots.splice(roots.indexOf(root), 1);
  }
};

const main = async (): Promise<void> => {
  console.log(`load average at start: ${load()} (other processes on this machine skew wall times; CPU ms less so)`);
  if (UPSTREAM_SHAPED) {
    const sleepers = await startLiveProcesses(Number(argValue('--sleepers') ?? 300), 'sleep');
    for (const size of sizes) await benchUpstreamShaped(size, sleepers);
    console.log(`\ncommand: captain status --run-dir DIR --json [--snapshot] --worker-stuck-after-ms ${BENCH_STUCK_AFTER_MS} (through bench's maxRSS wrapper); floor: node bench/status-floor.mjs --run-dir DIR`);
    cleanup();
    return;
  }
  const liveProcesses = await startLiveProcesses(LIVE_PROCESSES);
  const deadPid = exitedPid();
  const cells: Cell[] = [await benchEmptyRun()];
  for (const size of sizes) cells.push(...(await benchSize(size, liveProcesses, deadPid)));
  printTable(cells);
  console.log(`\ncommand: captain status --run-dir DIR --json [--snapshot] --worker-stuck-after-ms ${BENCH_STUCK_AFTER_MS} (through bench's maxRSS wrapper)`);
  cleanup();
};

await main();
