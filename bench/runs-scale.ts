/**
 * `captain runs` on a big workspace, as a fresh process: a workspace of R runs × D delegations (the
 * status bench's upstream-layout records, bench/lib/ccc-run.ts), then `captain runs --json`,
 * `captain runs` (text), and `captain status --json --snapshot` with no --run-dir (the latest-run
 * lookup) against the same with --run-dir. Wall time and peak RSS, median / min / max of --runs.
 *
 *   npm run build && node --import tsx bench/runs-scale.ts [--runs-count 100] [--delegations 100] [--runs 5] [--keep]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatRfc3339 } from '../src/util/time.js';
import { BENCH_STUCK_AFTER_MS, generateCccRun } from './lib/ccc-run.js';
import { measureCli, writeWrapper, type CliMeasurement } from './lib/cli-measure.js';

const argValue = (name: string): string | undefined => {
  const index = process.argv.indexOf(name);
  return index === -1 ? undefined : process.argv[index + 1];
};
const CLI = argValue('--cli') ?? fileURLToPath(new URL('../dist/bin/captain.js', import.meta.url));
const runCount = Number(argValue('--runs-count') ?? 100);
const delegations = Number(argValue('--delegations') ?? 100);
const repeats = Number(argValue('--runs') ?? 5);
const keep = process.argv.includes('--keep');
if (!existsSync(CLI)) {
  console.error(`${CLI} is missing: run \`npm run build\` first`);
  process.exit(1);
}

const root = mkdtempSync(join(tmpdir(), 'captain-bench-runs-'));
const workspace = join(root, 'ws');
const runsDir = join(workspace, '.captain', 'runs');
const deadPid = spawnSync('true').pid ?? 999_999;
const nowMs = Date.now();
const generated = performance.now();
for (let i = 0; i < runCount; i++) {
  const runDir = join(runsDir, `run-${String(i).padStart(4, '0')}`);
  generateCccRun({ runDir, delegations, otherCardDelegations: 0, liveProcesses: [], deadPid, nowMs });
  // Distinct ids, titles and creation times (the generator writes the same for every run of a size).
  const runJson = join(runDir, 'run.json');
  const run = JSON.parse(readFileSync(runJson, 'utf8')) as Record<string, unknown>;
  writeFileSync(runJson, JSON.stringify({ ...run, run_id: `run-${i}`, title: `bench run ${i}`, created_at: formatRfc3339(nowMs - (runCount - i) * 60_000) }, null, 2));
}
console.log(`workspace: ${runCount} runs x ${delegations} delegations in ${workspace} (generated in ${((performance.now() - generated) / 1000).toFixed(1)} s)`);

const wrapper = writeWrapper(root);
const latestRunDir = join(runsDir, `run-${String(runCount - 1).padStart(4, '0')}`);
const cells: Array<{ label: string; args: string[]; cwd?: string }> = [
  { label: 'captain runs --json', args: ['runs', '--workspace', workspace, '--json'] },
  { label: 'captain runs (text)', args: ['runs', '--workspace', workspace] },
  { label: 'status --snapshot --json, --run-dir given', args: ['status', '--run-dir', latestRunDir, '--json', '--snapshot', '--worker-stuck-after-ms', String(BENCH_STUCK_AFTER_MS)] },
  { label: 'status --snapshot --json, latest run found from cwd', args: ['status', '--json', '--snapshot', '--worker-stuck-after-ms', String(BENCH_STUCK_AFTER_MS)], cwd: workspace },
];

const stats = (values: number[]): string => {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
  return `${median.toFixed(0)} (${(sorted[0] ?? Number.NaN).toFixed(0)}–${(sorted.at(-1) ?? Number.NaN).toFixed(0)})`;
};

try {
  // The listing is complete before anything is timed.
  const check = spawnSync(process.execPath, [CLI, 'runs', '--workspace', workspace, '--json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const list = JSON.parse(check.stdout) as { runs: Array<{ worker_count: number; run_dir: string }> };
  if (list.runs.length !== runCount || list.runs.some((r) => r.worker_count !== delegations) || list.runs[0]?.run_dir !== latestRunDir) {
    throw new Error('captain runs did not list every run and worker, newest first');
  }
  for (const cell of cells) {
    const results: CliMeasurement[] = [];
    for (let i = 0; i < repeats; i++) {
      const m = await measureCli(wrapper, CLI, cell.args, cell.cwd === undefined ? {} : { cwd: cell.cwd });
      if (m.exitCode !== 0) throw new Error(`${cell.label}: exit ${String(m.exitCode)}: ${m.stderr.slice(0, 500)}`);
      results.push(m);
    }
    console.log(`${cell.label.padEnd(52)} wall ms ${stats(results.map((r) => r.wallMs))}  peak RSS MB ${stats(results.map((r) => r.maxRssMb))}`);
  }
  console.log(`load average: ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
} finally {
  if (!keep) rmSync(root, { recursive: true, force: true });
}
