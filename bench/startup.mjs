#!/usr/bin/env node
// Start-up cost of the bundled CLI: `captain status --json` on an empty run as a fresh process,
// beside bare node (`node -e 0`) and, with --baseline <other build>/dist/bin/captain.js, another
// build (and this build without its code cache); the processes alternate, --runs times each (default 15), and the medians are printed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const argValue = (name) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const cli = fileURLToPath(new URL('../dist/bin/captain.js', import.meta.url));
const baseline = argValue('--baseline');
const runs = Number(argValue('--runs') ?? 15);

const root = mkdtempSync(join(tmpdir(), 'captain-startup-'));
const runDir = join(root, 'run');
const started = spawnSync(process.execPath, [cli, 'start', '--run-dir', runDir, '--title', 'startup'], { encoding: 'utf8' });
if (started.status !== 0) throw new Error(`captain start failed: ${started.stderr}`);
const status = ['status', '--run-dir', runDir, '--json'];
const variants = [
  { label: 'node -e 0', args: ['-e', '0'] },
  { label: 'captain status --json (this build)', args: [cli, ...status] },
  { label: 'captain status --json (this build, CAPTAIN_NO_CODE_CACHE=1: the ES module bundle)', args: [cli, ...status], env: { CAPTAIN_NO_CODE_CACHE: '1' } },
  ...(baseline === undefined ? [] : [{ label: `captain status --json (${baseline})`, args: [baseline, ...status] }]),
];
const times = variants.map(() => []);
for (let round = 0; round < runs; round++) {
  variants.forEach((variant, i) => {
    const t = process.hrtime.bigint();
    const child = spawnSync(process.execPath, variant.args, { stdio: 'ignore', env: { ...process.env, HOME: root, ...variant.env } });
    if (child.status !== 0) throw new Error(`${variant.label} exited ${child.status}`);
    times[i].push(Number(process.hrtime.bigint() - t) / 1e6);
  });
}
rmSync(root, { recursive: true, force: true });
variants.forEach((variant, i) => {
  const sorted = times[i].sort((a, b) => a - b);
  console.log(`${sorted[Math.floor(sorted.length / 2)].toFixed(1)} ms median (min ${sorted[0].toFixed(1)})  ${variant.label}`);
});
