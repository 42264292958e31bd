/**
 * A worktree's life beyond the happy path, real git and real processes: a worker killed mid-edit
 * (its partial changes collected), `clean` (frees space, never removes uncollected work), a non-git
 * cwd refused before anything is written, follow-ups and retries continuing the same worktree.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCaptain } from '../helpers/cli.js';
import { waitFor } from '../helpers/worker-harness.js';
import { childStatusOf } from '../../src/lifecycle/derive.js';
import { collectWorktree } from '../../src/worktree/collect.js';
import { worktreeDiskUsage } from '../../src/worktree/disk.js';
import { worktreeOf } from '../../src/worktree/record.js';
import { delegationPath } from '../../src/store/paths.js';
import { getKey, type JsonObject } from '../../src/util/json.js';
import { context, delegateShell, json, makeRepo, recordOf, startRun, waitCollected } from './helpers.js';

describe('worktrees: a worker killed mid-edit', () => {
  const repo = makeRepo();
  after(() => repo.remove());

  it('collects what it changed before it was stopped', { timeout: 60_000 }, async () => {
    const runDir = startRun(repo);
    const id = await delegateShell(runDir, repo.dir, 'echo partial > half-done.txt; echo "six" >> a.txt; sleep 60; echo never > never.txt');
    const path = worktreeOf(recordOf(runDir, id))!.path;
    await waitFor(() => existsSync(join(path, 'half-done.txt')) && readFileSync(join(path, 'a.txt'), 'utf8').includes('six'), 'the partial edit', 10_000);
    const cancel = runCaptain(['cancel', '--run-dir', runDir, '--delegation', id]);
    assert.equal(cancel.code, 0, cancel.stderr);
    const info = worktreeOf(recordOf(runDir, id))!;
    assert.equal(childStatusOf(recordOf(runDir, id)), 'cancelled');
    assert.ok(info.collected_at !== undefined, 'collected at cancel');
    assert.deepEqual(info.diffstat!.per_file.map((f) => f.path), ['a.txt', 'half-done.txt']);
    const patch = readFileSync(info.patch_file!, 'utf8');
    assert.match(patch, /\+partial/);
    assert.doesNotMatch(patch, /never/);
    // Collection is idempotent: collecting again changes nothing.
    const again = await collectWorktree(context(runDir), delegationPath(runDir, id));
    assert.equal(again.outcome, 'already');
    assert.equal(worktreeOf(recordOf(runDir, id))!.collected_at, info.collected_at);
  });
});

describe('worktrees: two collectors racing', () => {
  const repo = makeRepo();
  after(() => repo.remove());

  it('make one snapshot commit and one marker', { timeout: 60_000 }, async () => {
    const runDir = startRun(repo);
    const id = await delegateShell(runDir, repo.dir, 'echo raced > raced.txt');
    // The record may be finalized and collected by the wrapper's finalizer meanwhile: all three race.
    await waitFor(() => ['completed', 'failed'].includes(childStatusOf(recordOf(runDir, id))), 'the worker to end', 10_000);
    const path = delegationPath(runDir, id);
    const outcomes = await Promise.all([collectWorktree(context(runDir), path), collectWorktree(context(runDir), path), collectWorktree(context(runDir), path)]);
    assert.ok(outcomes.filter((o) => o.outcome === 'collected').length <= 1, JSON.stringify(outcomes.map((o) => o.outcome)));
    const info = worktreeOf(recordOf(runDir, id))!;
    const log = repo.git('log', '--format=%s', info.branch).trim().split('\n');
    assert.deepEqual(log, [`captain: snapshot of ${id}'s uncommitted changes`, 'initial']);
  });
});

describe('worktrees: a collector that crashed after its snapshot commit', () => {
  const repo = makeRepo();
  after(() => repo.remove());

  it('is finished by the next one, which recognizes the snapshot', { timeout: 60_000 }, async () => {
    const runDir = startRun(repo);
    const id = await delegateShell(runDir, repo.dir, 'echo left > left.txt');
    await waitCollected(runDir, [id]);
    const first = worktreeOf(recordOf(runDir, id))!;
    // Undo the marker as if the collector died between its commit and its record write.
    const path = delegationPath(runDir, id);
    const record = recordOf(runDir, id);
    const { collected_at: _c, head_commit: _h, snapshot_commit: _s, patch_file: _p, diffstat: _d, ...launch } = record.worktree as JsonObject;
    writeFileSync(path, JSON.stringify({ ...record, worktree: launch }, null, 2));
    rmSync(first.patch_file!);
    const again = await collectWorktree(context(runDir), path);
    assert.equal(again.outcome, 'collected');
    assert.equal(again.worktree!.snapshot_commit, first.snapshot_commit, 'the snapshot is the same commit, not a second one');
    assert.equal(again.worktree!.head_commit, first.head_commit);
    assert.deepEqual(again.worktree!.diffstat, first.diffstat);
    assert.match(readFileSync(first.patch_file!, 'utf8'), /\+left/);
  });
});

describe('worktrees: captain clean', () => {
  const repo = makeRepo();
  after(() => repo.remove());

  it('frees the space of collected worktrees and never removes uncollected work', { timeout: 90_000 }, async () => {
    const runDir = startRun(repo);
    // Some weight, so the space freed is visible.
    for (let i = 0; i < 50; i += 1) repo.write(`file-${i}.txt`, `${'x'.repeat(4000)}\n`);
    repo.git('add', '-A');
    repo.git('commit', '-qm', 'weight');
    const done = await delegateShell(runDir, repo.dir, 'echo done > done.txt');
    const running = await delegateShell(runDir, repo.dir, 'echo working > wip.txt; sleep 60');
    const touched = await delegateShell(runDir, repo.dir, 'echo first > touched.txt');
    await waitCollected(runDir, [done, touched]);
    const touchedPath = worktreeOf(recordOf(runDir, touched))!.path;
    writeFileSync(join(touchedPath, 'after-collection.txt'), 'changed later\n');
    const runningPath = worktreeOf(recordOf(runDir, running))!.path;
    await waitFor(() => existsSync(join(runningPath, 'wip.txt')), 'the running worker to write', 10_000);

    const usage = worktreeDiskUsage(runDir);
    assert.equal(usage.worktrees, 3);
    assert.ok(usage.bytes > 3 * 50 * 4000, `${usage.bytes} bytes`);
    const listed = json(runCaptain(['runs', '--disk', '--json'], { cwd: repo.dir }));
    const listedRun = (listed.runs as JsonObject[]).find((r) => r.run_dir === runDir);
    assert.deepEqual(listedRun?.worktree_disk, { worktrees: 3, bytes: usage.bytes }, '`captain runs --disk` shows the worktrees\' disk use');

    const first = json(runCaptain(['clean', '--run-dir', runDir, '--json']));
    assert.deepEqual((first.removed as JsonObject[]).map((r) => r.delegation_ids), [[done]]);
    assert.ok(Number(first.freed_bytes) > 50 * 4000, String(first.freed_bytes));
    const kept = Object.fromEntries((first.kept as JsonObject[]).map((k) => [String((k.delegation_ids as string[])[0]), String(k.reason)]));
    assert.match(kept[running]!, /still running/);
    assert.match(kept[touched]!, /changes made after its work was collected/);
    assert.equal(existsSync(worktreeOf(recordOf(runDir, done))!.path), false);
    assert.ok(existsSync(join(runningPath, 'wip.txt')), 'a running worker keeps its worktree');
    assert.ok(existsSync(join(touchedPath, 'after-collection.txt')), 'uncollected changes are never removed');
    assert.ok(existsSync(worktreeOf(recordOf(runDir, done))!.patch_file!), 'the patch stays');
    assert.match(repo.git('branch', '--list', worktreeOf(recordOf(runDir, done))!.branch), /captain\//, 'the branch stays');
    assert.doesNotMatch(repo.git('worktree', 'list', '--porcelain'), new RegExp(done), 'git metadata pruned');
    assert.ok(worktreeOf(recordOf(runDir, done))!.removed_at !== undefined);
    // `captain diff` still works from the saved patch.
    assert.match(runCaptain(['diff', '--run-dir', runDir, '--delegation', done]).stdout, /\+done/);

    // Cancelled (and so collected), the running one can go; with --branches its branch goes too.
    assert.equal(runCaptain(['cancel', '--run-dir', runDir, '--delegation', running]).code, 0);
    const second = runCaptain(['clean', '--run-dir', runDir, '--branches']);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, new RegExp(`removed .*${running}.*branch .* deleted`));
    assert.match(second.stdout, new RegExp(`kept .*${touched}`));
    assert.match(second.stdout, /freed \d/);
    assert.equal(repo.git('branch', '--list', worktreeOf(recordOf(runDir, running))!.branch), '');
    assert.match(readFileSync(worktreeOf(recordOf(runDir, running))!.patch_file!, 'utf8'), /\+working/);
    assert.equal(worktreeDiskUsage(runDir).worktrees, 1);
  });
});

describe('worktrees: refusals', () => {
  const repo = makeRepo();
  after(() => repo.remove());

  it('a cwd outside git, or a base that is no commit, is refused before anything is written', () => {
    const runDir = startRun(repo);
    const outside = join(repo.root, 'not-git');
    mkdirSync(outside);
    const refused = runCaptain(['delegate', '--run-dir', runDir, '--kind', 'command', '--worktree', '--cwd', outside, '--', 'true']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /--worktree: .*not-git is not inside a git working tree.*drop --worktree/);
    const badBase = runCaptain(['delegate', '--run-dir', runDir, '--kind', 'command', '--worktree', '--base', 'no-such-branch', '--cwd', repo.dir, '--', 'true']);
    assert.equal(badBase.code, 1);
    assert.match(badBase.stderr, /no-such-branch is not a commit/);
    const baseAlone = runCaptain(['delegate', '--run-dir', runDir, '--kind', 'command', '--base', 'main', '--cwd', repo.dir, '--', 'true']);
    assert.equal(baseAlone.code, 2);
    assert.deepEqual(readdirSync(join(runDir, 'delegations')).filter((f) => f.endsWith('.json')), []);
    assert.equal(existsSync(join(runDir, 'worktrees')), false);
  });
});

describe('worktrees: a record pointing at another folder', () => {
  const repo = makeRepo();
  after(() => repo.remove());

  it('is never committed in nor removed', { timeout: 60_000 }, async () => {
    const runDir = startRun(repo);
    const id = await delegateShell(runDir, repo.dir, 'sleep 0.5');
    const path = delegationPath(runDir, id);
    await waitFor(() => childStatusOf(recordOf(runDir, id)) !== 'running', 'the worker to end', 10_000);
    await waitCollected(runDir, [id]);
    // Edited to name the user's own checkout, uncollected again.
    const record = recordOf(runDir, id);
    const { collected_at: _c, ...launch } = record.worktree as JsonObject;
    writeFileSync(path, JSON.stringify({ ...record, worktree: { ...launch, path: repo.dir } }, null, 2));
    repo.write('users-work.txt', 'not for captain\n');
    await assert.rejects(collectWorktree(context(runDir), path), /worktree\.path .* is not under the run's worktree folder/);
    const clean = json(runCaptain(['clean', '--run-dir', runDir, '--json']));
    assert.deepEqual(clean.removed, []);
    assert.match(String(getKey((clean.kept as JsonObject[])[0], 'reason')), /not under the run's worktree folder/);
    assert.equal(repo.git('log', '--format=%s').trim(), 'initial');
    assert.ok(existsSync(join(repo.dir, 'users-work.txt')));
  });
});

describe('worktrees: follow-ups and retries continue the same worktree', () => {
  const repo = makeRepo();
  after(() => repo.remove());

  it('--worktree-of runs in the earlier worker’s worktree and branch; --base picks the start', { timeout: 60_000 }, async () => {
    repo.git('checkout', '-qb', 'feature');
    repo.write('feature.txt', 'feature\n');
    repo.git('add', '-A');
    repo.git('commit', '-qm', 'feature');
    repo.git('checkout', '-q', 'main');
    const runDir = startRun(repo);
    const first = await delegateShell(runDir, repo.dir, 'test -f feature.txt && echo one > step1.txt', ['--base', 'feature']);
    await waitCollected(runDir, [first]);
    assert.equal(childStatusOf(recordOf(runDir, first)), 'completed', 'the branch starts at --base');
    const out = runCaptain(['delegate', '--run-dir', runDir, '--kind', 'command', '--worktree-of', first, '--json', '--', 'sh', '-c', 'cat step1.txt > step2.txt; pwd > where.txt'], { cwd: repo.dir });
    const second = String(json(out).delegation_id);
    await waitCollected(runDir, [second]);
    const a = worktreeOf(recordOf(runDir, first))!;
    const b = worktreeOf(recordOf(runDir, second))!;
    assert.equal(b.path, a.path);
    assert.equal(b.branch, a.branch);
    assert.equal(getKey(recordOf(runDir, second), 'worktree') !== undefined && (recordOf(runDir, second).worktree as JsonObject).reused_from, first);
    assert.equal(readFileSync(join(a.path, 'where.txt'), 'utf8').trim(), a.path);
    assert.deepEqual(b.diffstat!.per_file.map((f) => f.path), ['step1.txt', 'step2.txt', 'where.txt'], 'the branch holds both steps');
    assert.match(readFileSync(join(a.path, 'step2.txt'), 'utf8'), /one/);
  });

  it('a retry by the supervisor reuses the failed attempt’s worktree', { timeout: 60_000 }, async () => {
    const runDir = startRun(repo);
    const id = await delegateShell(runDir, repo.dir, 'echo attempt >> attempts.txt; exit 1');
    const wait = runCaptain(['wait', '--run-dir', runDir, '--timeout', '30', '--worker-retry-backoff-ms', '100', '--worker-max-retries-per-phase', '1'], { cwd: repo.dir, timeoutMs: 45_000 });
    assert.equal(wait.code, 3, wait.stderr);
    const retryId = String(getKey(recordOf(runDir, id), 'retried_by'));
    await waitCollected(runDir, [id, retryId]);
    const a = worktreeOf(recordOf(runDir, id))!;
    const b = worktreeOf(recordOf(runDir, retryId))!;
    assert.equal(b.path, a.path);
    assert.equal(b.branch, a.branch);
    assert.equal(readFileSync(join(a.path, 'attempts.txt'), 'utf8'), 'attempt\nattempt\n', 'the retry ran on top of the first attempt');
    assert.equal(b.diffstat!.added, 2);
  });
});
