/**
 * Real agent CLIs in worktrees: a Codex worker and a Claude Code worker, started by captain with
 * `worktree: true`, each edit a file through their shell tool (the fake model server's
 * `shell:COMMAND` scenario, offline). Their edits land in their own worktree and branch, are
 * collected with a diffstat, and leave the user's checkout untouched.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { delegate } from '../../src/ops/delegate.js';
import { getWorkerResult } from '../../src/ops/worker.js';
import { startFakeModelServer, type FakeModelServer } from '../../src/fake-model/server.js';
import { claudeEnv, codexEnv, makeWorkerHome, resolveClaudeBin, resolveCodexBin, writeCodexHome } from '../../src/fake-model/worker-env.js';
import { getKey } from '../../src/util/json.js';
import { worktreeOf } from '../../src/worktree/record.js';
import { context, makeRepo, recordOf, startRun, waitCollected } from './helpers.js';

describe('worktrees: real Codex and Claude Code workers', () => {
  let server: FakeModelServer;
  const repo = makeRepo();
  const homes: string[] = [];
  before(async () => {
    server = await startFakeModelServer();
  });
  after(async () => {
    await server.close();
    for (const home of homes) rmSync(home, { recursive: true, force: true });
    repo.remove();
  });

  it('each edits a file through its shell tool in its own worktree', { timeout: 90_000 }, async () => {
    const runDir = startRun(repo);
    const ctx = context(runDir);
    const codexHome = makeWorkerHome('codex');
    const claudeHome = makeWorkerHome('claude');
    homes.push(codexHome, claudeHome);
    writeCodexHome(codexHome, server.url);
    const head = repo.git('rev-parse', 'HEAD').trim();
    const codex = await delegate(ctx, {
      kind: 'codex',
      prompt: 'Write the file. [[fake:shell:echo from-codex > codex.txt]]',
      sandbox: 'danger-full-access',
      cwd: repo.dir,
      launcher: resolveCodexBin(),
      env: codexEnv(codexHome),
      worktree: true,
    });
    const claude = await delegate(ctx, {
      kind: 'claude',
      prompt: 'Write the file. [[fake:shell:echo from-claude > claude.txt]]',
      argv: ['--allowedTools', 'Bash'],
      cwd: repo.dir,
      launcher: resolveClaudeBin(),
      env: claudeEnv(server.url, claudeHome),
      worktree: true,
    });
    await waitCollected(runDir, [codex.delegation_id, claude.delegation_id], 60_000);
    for (const [id, file, text] of [[codex.delegation_id, 'codex.txt', 'from-codex'], [claude.delegation_id, 'claude.txt', 'from-claude']] as const) {
      const record = recordOf(runDir, id);
      assert.equal(getKey(getKey(record, 'child_agent'), 'status'), 'completed', JSON.stringify(getKey(record, 'worker_result')));
      const info = worktreeOf(record)!;
      assert.equal(readFileSync(join(info.path, file), 'utf8'), `${text}\n`, 'written in the worker’s worktree');
      assert.deepEqual(info.diffstat!.per_file.map((f) => f.path), [file]);
      assert.equal(info.diffstat!.added, 1);
      assert.match(readFileSync(info.patch_file!, 'utf8'), new RegExp(`\\+${text}`));
      const result = getWorkerResult(ctx, id);
      assert.equal(getKey(result.diffstat, 'files'), 1);
      assert.equal(existsSync(join(repo.dir, file)), false, 'the user’s checkout is untouched');
    }
    assert.equal(repo.git('rev-parse', 'HEAD').trim(), head);
    assert.equal(repo.git('status', '--porcelain', '--untracked-files=no'), '');
  });
});
