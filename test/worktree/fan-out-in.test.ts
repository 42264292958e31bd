/**
 * Fan-out and fan-in with git worktrees, real git and real command workers through the built CLI:
 * parallel workers on different files (clean patches, applied in order, the user's checkout untouched
 * until apply), and two workers on the same lines (conflict at fan-in, apply stops cleanly).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCaptain } from '../helpers/cli.js';
import { getKey, type JsonObject } from '../../src/util/json.js';
import { worktreeOf } from '../../src/worktree/record.js';
import { delegateShell, json, makeRepo, recordOf, startRun, waitCollected } from './helpers.js';

describe('worktrees: three workers on different files', () => {
  const repo = makeRepo();
  after(() => repo.remove());

  it('isolates, collects, reports a clean trial merge, and applies in order', { timeout: 90_000 }, async () => {
    const runDir = startRun(repo);
    const head = repo.git('rev-parse', 'HEAD').trim();
    // Three delegate processes at once: captain's repository lock serializes `git worktree add`.
    const ids = await Promise.all([
      delegateShell(runDir, repo.dir, 'sleep 0.3; echo "six" >> a.txt; echo new-1 > new1.txt; echo ignored > w1.log'),
      delegateShell(runDir, repo.dir, 'sleep 0.3; echo "bee 2" >> b.txt; echo new-2 > new2.txt; git add -A; git commit -qm "worker 2 commits"'),
      delegateShell(runDir, repo.dir, 'sleep 0.3; printf "sea\\n" > c.txt; echo "sea 2" >> c.txt; rm d.txt; echo new-3 > new3.txt'),
    ]);
    assert.equal(new Set(ids).size, 3);
    for (const id of ids) {
      const info = worktreeOf(recordOf(runDir, id))!;
      assert.equal(info.branch, `captain/${String(getKey(JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')), 'run_id'))}/${id}`);
      assert.equal(info.base_commit, head);
      assert.equal(info.path, join(runDir, 'worktrees', id));
      assert.equal(getKey(getKey(recordOf(runDir, id), 'worker_request'), 'cwd'), info.path, 'the worker runs in its worktree');
    }
    await waitCollected(runDir, ids);

    // The user's checkout is untouched until apply.
    assert.equal(repo.git('rev-parse', 'HEAD').trim(), head);
    assert.equal(repo.git('status', '--porcelain', '--untracked-files=no'), '');
    assert.equal(readFileSync(join(repo.dir, 'a.txt'), 'utf8'), 'one\ntwo\nthree\nfour\nfive\n');
    assert.equal(existsSync(join(repo.dir, 'new1.txt')), false);

    const stats = ids.map((id) => worktreeOf(recordOf(runDir, id))!.diffstat!);
    assert.deepEqual(stats.map((s) => [s.files, s.added, s.removed]), [[2, 2, 0], [2, 2, 0], [3, 2, 1]]);
    assert.deepEqual(stats[0]!.per_file.map((f) => f.path), ['a.txt', 'new1.txt'], 'ignored files stay out');
    assert.deepEqual(stats[2]!.per_file.map((f) => f.path), ['c.txt', 'd.txt', 'new3.txt']);
    // Worker 1 committed nothing: its work is one snapshot commit. Worker 2 committed: no snapshot needed.
    assert.notEqual(worktreeOf(recordOf(runDir, ids[0]!))!.snapshot_commit, null);
    assert.equal(worktreeOf(recordOf(runDir, ids[1]!))!.snapshot_commit, null);

    // captain diff prints the patch file; captain result carries the diffstat.
    const diff = runCaptain(['diff', '--run-dir', runDir, '--delegation', ids[0]!]);
    assert.equal(diff.code, 0, diff.stderr);
    assert.equal(diff.stdout, readFileSync(join(runDir, 'patches', `${ids[0]!}.patch`), 'utf8'));
    assert.match(diff.stdout, /\+six/);
    assert.match(diff.stdout, /new file mode[\s\S]*\+new-1/);
    const result = json(runCaptain(['result', '--run-dir', runDir, '--delegation', ids[2]!, '--json']));
    assert.deepEqual([getKey(result.diffstat, 'files'), getKey(result.diffstat, 'added'), getKey(result.diffstat, 'removed')], [3, 2, 1]);
    assert.match(runCaptain(['result', '--run-dir', runDir, '--delegation', ids[2]!]).stdout, /worktree: captain\/.*3 files, \+2 -1/);

    // Each patch applies by itself to the base.
    for (const id of ids) {
      repo.git('apply', '--check', join(runDir, 'patches', `${id}.patch`));
    }

    const fanIn = json(runCaptain(['fan-in', '--run-dir', runDir, '--json']));
    const report = fanIn.worktrees as JsonObject;
    // In the order delegated (created_at, then id).
    const created = (id: string): string => String(getKey(recordOf(runDir, id), 'created_at'));
    const ordered = [...ids].sort((x, y) => (created(x) < created(y) ? -1 : created(x) > created(y) ? 1 : x < y ? -1 : 1));
    assert.deepEqual((report.workers as JsonObject[]).map((w) => w.delegation_id), ordered);
    assert.deepEqual(report.overlapping_files, []);
    assert.equal(getKey(report.trial_merge, 'clean'), true);
    assert.deepEqual(getKey(report.trial_merge, 'merged'), ordered);
    assert.equal(repo.git('rev-parse', 'HEAD').trim(), head, 'a trial merge does not touch the checkout');

    const applied = json(runCaptain(['apply', '--run-dir', runDir, '--json'], { cwd: repo.dir }));
    assert.deepEqual((applied.applied as JsonObject[]).map((a) => a.delegation_id), ordered);
    assert.equal(readFileSync(join(repo.dir, 'a.txt'), 'utf8'), 'one\ntwo\nthree\nfour\nfive\nsix\n');
    assert.equal(readFileSync(join(repo.dir, 'c.txt'), 'utf8'), 'sea\nsea 2\n');
    assert.equal(existsSync(join(repo.dir, 'd.txt')), false);
    assert.equal(readFileSync(join(repo.dir, 'b.txt'), 'utf8'), 'bee\nbee 2\n');
    for (const n of [1, 2, 3]) assert.equal(readFileSync(join(repo.dir, `new${n}.txt`), 'utf8'), `new-${n}\n`);
    assert.equal(repo.git('status', '--porcelain', '--untracked-files=no'), '');
    // Applying again merges nothing twice.
    const again = json(runCaptain(['apply', '--run-dir', runDir, '--json'], { cwd: repo.dir }));
    assert.deepEqual(again.applied, []);
    assert.deepEqual(again.already_applied, ordered);
  });
});

describe('worktrees: two workers on the same lines', () => {
  const repo = makeRepo();
  after(() => repo.remove());

  it('reports the overlap and the conflict at fan-in; apply stops cleanly and `git merge --abort` undoes it', { timeout: 90_000 }, async () => {
    const runDir = startRun(repo);
    const first = await delegateShell(runDir, repo.dir, 'sed -i "s/^three$/THREE by one/" a.txt');
    const second = await delegateShell(runDir, repo.dir, 'sed -i "s/^three$/three by two/" a.txt; echo two > only-two.txt');
    await waitCollected(runDir, [first, second]);

    const report = json(runCaptain(['fan-in', '--run-dir', runDir, '--json'])).worktrees as JsonObject;
    assert.deepEqual(report.overlapping_files, [{ path: 'a.txt', delegation_ids: [first, second] }]);
    assert.deepEqual(getKey(report.trial_merge, 'merged'), [first]);
    assert.deepEqual(getKey(report.trial_merge, 'conflicts'), [{ delegation_id: second, files: ['a.txt'] }]);
    assert.equal(getKey(report.trial_merge, 'clean'), false);
    const text = runCaptain(['fan-in', '--run-dir', runDir]);
    assert.match(text.stdout, new RegExp(`${second} CONFLICTS in a\\.txt`));

    // A dirty checkout is refused before anything is merged.
    const head = repo.git('rev-parse', 'HEAD').trim();
    repo.write('c.txt', 'edited by the user\n');
    const dirty = runCaptain(['apply', '--run-dir', runDir], { cwd: repo.dir });
    assert.equal(dirty.code, 1);
    assert.match(dirty.stderr, /uncommitted changes \(c\.txt\); commit or stash them/);
    assert.equal(repo.git('rev-parse', 'HEAD').trim(), head);
    repo.git('checkout', '--', 'c.txt');

    const apply = runCaptain(['apply', '--run-dir', runDir], { cwd: repo.dir });
    assert.equal(apply.code, 1, apply.stderr);
    assert.match(apply.stdout, new RegExp(`applied ${first}`));
    assert.match(apply.stderr, new RegExp(`merging ${second} .* conflicts in: a\\.txt`));
    assert.match(apply.stderr, /git merge --abort/);
    // Left as git leaves an unfinished merge: MERGE_HEAD and conflict markers.
    assert.equal(repo.git('rev-parse', '-q', '--verify', 'MERGE_HEAD').trim(), worktreeOf(recordOf(runDir, second))!.head_commit);
    assert.match(readFileSync(join(repo.dir, 'a.txt'), 'utf8'), /<<<<<<<[\s\S]*THREE by one[\s\S]*three by two[\s\S]*>>>>>>>/);
    const afterFirst = repo.git('rev-parse', 'HEAD').trim();
    assert.notEqual(afterFirst, head);
    // A second apply refuses while the merge is unfinished.
    const mid = runCaptain(['apply', '--run-dir', runDir], { cwd: repo.dir });
    assert.equal(mid.code, 1);
    assert.match(mid.stderr, /unfinished merge/);

    repo.git('merge', '--abort');
    assert.equal(repo.git('status', '--porcelain', '--untracked-files=no'), '');
    assert.equal(repo.git('rev-parse', 'HEAD').trim(), afterFirst);
    assert.equal(readFileSync(join(repo.dir, 'a.txt'), 'utf8'), 'one\ntwo\nTHREE by one\nfour\nfive\n');
    assert.equal(worktreeOf(recordOf(runDir, second))!.applied_at, undefined);
  });
});
