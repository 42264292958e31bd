/**
 * Creating and removing a delegation's git worktree on a repository of 10k files.
 *
 *   node --import tsx bench/worktree.ts [--files 10000] [--runs 5]
 *
 * Builds a temp repository of N small files in 100 folders (one commit; build time not counted),
 * then times, N runs each: captain's `planWorktree` + `createWorktree` (`git worktree add -b` under
 * the repository lock: a full checkout) and `removeWorktree` (`git worktree remove` + `prune`, what
 * `captain clean` runs), and the disk the worktree used; alternating with bare `git worktree add`
 * / `remove` on the same repository (the floor). Prints medians and the range.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createWorktree, planWorktree } from '../src/worktree/create.js';
import { diskUsage } from '../src/worktree/disk.js';
import { resolveRepo } from '../src/worktree/repo.js';
import { removeWorktree } from '../src/worktree/remove.js';

const argValue = (name: string, fallback: number): number => {
  const index = process.argv.indexOf(name);
  const value = index === -1 ? undefined : Number(process.argv[index + 1]);
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
};
const FILES = argValue('--files', 10_000);
const RUNS = argValue('--runs', 5);

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'captain-bench-wt-')));
try {
  const repoDir = path.join(root, 'repo');
  const git = (...args: string[]): string => execFileSync('git', ['-C', repoDir, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  execFileSync('git', ['init', '-q', '-b', 'main', repoDir]);
  git('config', 'user.name', 'bench');
  git('config', 'user.email', 'bench@localhost');
  const built = performance.now();
  for (let i = 0; i < FILES; i += 1) {
    const dir = path.join(repoDir, `pkg-${i % 100}`);
    if (i < 100) fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, `module-${i}.ts`), `export const value${i} = ${i};\n// ${'x'.repeat(i % 400)}\n`);
  }
  git('add', '-A');
  git('commit', '-qm', 'bench');
  console.error(`repository of ${FILES} files built in ${((performance.now() - built) / 1000).toFixed(1)} s`);
  const repo = await resolveRepo(repoDir);
  const create: number[] = [];
  const remove: number[] = [];
  const bareCreate: number[] = [];
  const bareRemove: number[] = [];
  let bytes = 0;
  for (let run = 0; run < RUNS; run += 1) {
    const id = `dlg-bench-${run}`;
    let t = performance.now();
    const plan = await planWorktree({ cwd: repoDir, root: path.join(root, 'worktrees'), runId: 'run-bench', delegationId: id });
    await createWorktree(plan, new Date().toISOString());
    create.push(performance.now() - t);
    bytes = diskUsage(plan.path);
    t = performance.now();
    await removeWorktree(repo, plan.path, { branch: plan.branch });
    remove.push(performance.now() - t);
    // The floor, alternating with captain's: bare git, same repository, no lock, no checks.
    const bare = path.join(root, 'bare', id);
    t = performance.now();
    git('worktree', 'add', '--quiet', '-b', `bare/${id}`, bare, 'HEAD');
    bareCreate.push(performance.now() - t);
    t = performance.now();
    git('worktree', 'remove', bare);
    git('branch', '-D', `bare/${id}`);
    bareRemove.push(performance.now() - t);
  }
  const fmt = (values: number[]): string => `${median(values).toFixed(0)} ms (${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)})`;
  console.log(`| files | create (plan + git worktree add) | remove (git worktree remove + prune + branch -D) | worktree on disk |`);
  console.log(`| --- | --- | --- | --- |`);
  console.log(`| ${FILES} | ${fmt(create)} | ${fmt(remove)} | ${(bytes / 1e6).toFixed(1)} MB |`);
  console.log(`| ${FILES}, bare git (\`git worktree add -b\` / \`remove\` + \`branch -D\`) | ${fmt(bareCreate)} | ${fmt(bareRemove)} | |`);
  console.log(`load average at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} (${os.cpus().length} cores)`);
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
