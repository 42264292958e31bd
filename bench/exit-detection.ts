/**
 * Detection latency: from a worker's exit to its terminal record on disk, with 50 workers at once.
 * Each worker (a tiny node program) prints its exit time and exits at a random moment in 0.2–2 s;
 * the bench watches the delegations folder and notes when each record turns terminal.
 *
 *   npm run build && node --import tsx bench/exit-detection.ts [--workers 50]
 *
 * Target (issue 3): p50 ≤ 100 ms, p95 ≤ 300 ms. Upstream detects nothing until someone runs status.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RUNTIME_CONFIG } from '../src/config/defaults.js';
import { openRunContext } from '../src/ops/context.js';
import { delegate } from '../src/ops/delegate.js';
import { createRun } from '../src/ops/runs.js';
import { delegationPath } from '../src/store/paths.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};

const workers = arg('--workers', 50);
// Exits spread over 0.2–2 s after `settle` ms: with --settle 0 they land in the start-up storm of
// 100 node processes (50 workers + 50 monitors) on 2 cores, which measures CPU starvation.
const settle = arg('--settle', 3000);
const root = mkdtempSync(join(tmpdir(), 'captain-bench-exit-'));
const run = createRun({ runDir: join(root, 'run'), title: 'exit detection bench' });
const ctx = openRunContext(run.run_dir, DEFAULT_RUNTIME_CONFIG);
const script = `const d=${settle}+200+Math.random()*1800;setTimeout(()=>{process.stdout.write(JSON.stringify({exit_at:Date.now()})+"\\n",()=>process.exit(0))},d)`;

const ids: string[] = [];
for (let i = 0; i < workers; i++) {
  ids.push((await delegate(ctx, { kind: 'command', argv: [process.execPath, '-e', script], cwd: root })).delegation_id);
}
const seenAt = new Map<string, number>();
const check = (): void => {
  for (const id of ids) {
    if (seenAt.has(id)) continue;
    try {
      const record = JSON.parse(readFileSync(delegationPath(ctx.runDir, id), 'utf8')) as { child_agent?: { status?: string } };
      if (record.child_agent?.status === 'completed' || record.child_agent?.status === 'failed') seenAt.set(id, Date.now());
    } catch {
      // mid-rename: next event
    }
  }
};
const watcher = watch(join(ctx.runDir, 'delegations'), check);
const poll = setInterval(check, 50);
const deadline = Date.now() + 60_000;
while (seenAt.size < ids.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
watcher.close();
clearInterval(poll);

const exitAtOf = (id: string): number | undefined => {
  const raw = readFileSync(join(ctx.runDir, 'raw-events', `${id}.jsonl`), 'utf8').trim().split('\n').pop() ?? '{}';
  return (JSON.parse(raw) as { exit_at?: number }).exit_at;
};
const sorted = (values: Array<number | undefined>): number[] => values.filter((n): n is number => n !== undefined && Number.isFinite(n)).sort((a, b) => a - b);
// exit → terminal record on disk (seen by this process); and exit → the monitor's completed_at stamp.
const onDisk = sorted(ids.map((id) => { const e = exitAtOf(id); const s = seenAt.get(id); return e === undefined || s === undefined ? undefined : s - e; }));
const stamped = sorted(ids.map((id) => {
  const e = exitAtOf(id);
  const record = JSON.parse(readFileSync(delegationPath(ctx.runDir, id), 'utf8')) as { completed_at?: string };
  return e === undefined || record.completed_at === undefined ? undefined : Date.parse(record.completed_at) - e;
}));
// exit → the terminal record's rename (its mtime): when the record was really on disk, independent of this process noticing.
const renamed = sorted(ids.map((id) => { const e = exitAtOf(id); return e === undefined ? undefined : Math.round(statSync(delegationPath(ctx.runDir, id)).mtimeMs - e); }));
const pct = (values: number[], p: number): number => values[Math.min(values.length - 1, Math.floor((p / 100) * values.length))] ?? Number.NaN;
console.log(`| workers | exits after start | measure | detected | p50 ms | p95 ms | max ms |`);
console.log(`| ---: | --- | --- | ---: | ---: | ---: | ---: |`);
console.log(`| ${workers} | ${settle / 1000 + 0.2}–${settle / 1000 + 2} s | exit → terminal record on disk | ${onDisk.length} | ${pct(onDisk, 50)} | ${pct(onDisk, 95)} | ${onDisk.at(-1)} |`);
console.log(`| ${workers} | ${settle / 1000 + 0.2}–${settle / 1000 + 2} s | exit → terminal record written (file mtime) | ${renamed.length} | ${pct(renamed, 50)} | ${pct(renamed, 95)} | ${renamed.at(-1)} |`);
console.log(`| ${workers} | ${settle / 1000 + 0.2}–${settle / 1000 + 2} s | exit → monitor's completed_at | ${stamped.length} | ${pct(stamped, 50)} | ${pct(stamped, 95)} | ${stamped.at(-1)} |`);
rmSync(root, { recursive: true, force: true });
