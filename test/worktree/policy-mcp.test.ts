/**
 * The run-level worktree policy (`captain start --worktrees --worktree-cleanup after_apply`) and the
 * MCP surface (`captain_delegate` with `worktree`, `captain_result` with the diffstat), real git and
 * real command workers.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CLI, runCaptain } from '../helpers/cli.js';
import { getKey, type JsonObject } from '../../src/util/json.js';
import { worktreeOf } from '../../src/worktree/record.js';
import { captainAsync, json, makeRepo, recordOf, startRun, waitCollected } from './helpers.js';

describe('worktrees: the commands', () => {
  it('diff, apply and clean have --help', () => {
    for (const command of ['diff', 'apply', 'clean']) {
      const out = runCaptain([command, '--help']);
      assert.equal(out.code, 0, out.stderr);
      assert.match(out.stdout, new RegExp(`Usage: captain ${command}`));
    }
    assert.match(runCaptain(['delegate', '--help']).stdout, /--worktree[\s\S]*--base <ref>[\s\S]*--worktree-of <id>/);
    assert.equal(runCaptain(['clean']).code, 2, 'clean needs --run-dir or --all');
  });
});

describe('worktrees: the run-level policy', () => {
  const repo = makeRepo();
  after(() => repo.remove());

  it('`start --worktrees` isolates every delegation; `--worktree-cleanup after_apply` removes the worktree once applied', { timeout: 60_000 }, async () => {
    const runDir = startRun(repo, ['--worktrees', '--worktree-cleanup', 'after_apply']);
    const run = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(run.worktrees, true);
    assert.equal(run.worktree_cleanup, 'after_apply');
    const out = await captainAsync(['delegate', '--run-dir', runDir, '--kind', 'command', '--json', '--', 'sh', '-c', 'echo policy > policy.txt'], repo.dir);
    const id = String(json(out).delegation_id);
    const info = worktreeOf(recordOf(runDir, id));
    assert.ok(info !== undefined, 'a worktree without --worktree');
    await waitCollected(runDir, [id]);
    const applied = json(runCaptain(['apply', '--run-dir', runDir, '--delegation', id, '--json'], { cwd: repo.dir }));
    assert.deepEqual(applied.removed_worktrees, [id]);
    assert.equal(readFileSync(join(repo.dir, 'policy.txt'), 'utf8'), 'policy\n');
    assert.equal(existsSync(info.path), false);
    assert.match(repo.git('branch', '--list', info.branch), /captain\//, 'the branch stays');
  });
});

describe('worktrees over MCP', () => {
  const repo = makeRepo();
  let client: Client | undefined;
  after(async () => {
    await client?.close();
    repo.remove();
  });

  it('captain_delegate {worktree: true} and captain_result with the diffstat', { timeout: 60_000 }, async () => {
    const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp', '--workspace', repo.dir], stderr: 'pipe' });
    client = new Client({ name: 'captain-test', version: '1.0.0' });
    await client.connect(transport);
    const call = async (name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> => {
      const result = (await client!.callTool({ name, arguments: args })) as { isError?: boolean; content: Array<{ text?: string }>; structuredContent?: Record<string, unknown> };
      assert.ok(!result.isError, `${name}: ${result.content.map((c) => c.text).join('\n')}`);
      return { ...result.structuredContent, text: result.content[0]?.text };
    };
    const runDir = String((await call('captain_start_run', { title: 'mcp worktrees' })).run_dir);
    const delegated = await call('captain_delegate', { run_dir: runDir, kind: 'command', argv: ['sh', '-c', 'echo via-mcp >> a.txt'], worktree: true });
    const id = String(delegated.delegation_id);
    await waitCollected(runDir, [id]);
    const result = await call('captain_result', { run_dir: runDir, delegation_id: id });
    assert.equal(result.branch, worktreeOf(recordOf(runDir, id))!.branch);
    assert.deepEqual(result.diffstat, { files: 1, added: 1, removed: 0, paths: ['a.txt'] });
    assert.match(String(result.text), /worktree branch captain\/.*: 1 file, \+1 -0/);
    assert.equal(getKey(getKey(recordOf(runDir, id), 'worktree'), 'repo'), repo.dir);
    const fanIn = await call('captain_fan_in', { run_dir: runDir });
    assert.equal(fanIn.collapsed, true);
    assert.deepEqual(getKey(fanIn.worktrees as JsonObject, 'overlapping_files'), []);
    assert.equal(getKey(getKey(fanIn.worktrees as JsonObject, 'trial_merge'), 'clean'), true);
    assert.match(String(fanIn.text), /trial merge onto [0-9a-f]{12}: clean \(1 branch\)/);
  });
});
