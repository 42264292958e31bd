/**
 * Follow-ups end to end: the real Codex CLI and Claude Code, launched by captain against the fake
 * model server on 127.0.0.1, finish a first task; `followUp` resumes their conversation (`codex exec
 * resume`, `claude --resume`). The fake model's `recall:PREFIX` scenario answers with what the
 * request history carries, so the resumed worker's final message proves the earlier turn was sent
 * again; a fresh worker asked the same gets nothing back (the check can fail). Also the refusals,
 * the two-way link, the cwd, one follow-up under concurrent calls, and the CLI command.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RUNTIME_CONFIG, type RuntimeConfig } from '../../src/config/defaults.js';
import { startFakeModelServer, type FakeModelServer } from '../../src/fake-model/server.js';
import { claudeEnv, codexEnv, FAKE_CODEX_KEY_ENV, FAKE_GEMINI_MODEL, geminiEnv, makeWorkerHome, resolveClaudeBin, resolveCodexBin, resolveGeminiBin, writeCodexHome, writeGeminiHome } from '../../src/fake-model/worker-env.js';
import { openRunContext, type RunContext } from '../../src/ops/context.js';
import { delegate } from '../../src/ops/delegate.js';
import { followUp } from '../../src/ops/follow-up.js';
import { createRun } from '../../src/ops/runs.js';
import { cancelDelegation, findDelegation, getWorkerResult } from '../../src/ops/worker.js';
import type { JsonObject } from '../../src/util/json.js';
import { runCaptain } from '../helpers/cli.js';
import { makeRepo, waitCollected } from '../worktree/helpers.js';
import { fixturePath, waitFor } from '../helpers/worker-harness.js';

const CONFIG: RuntimeConfig = { ...DEFAULT_RUNTIME_CONFIG, worker_stuck_after_ms: 20_000, worker_kill_grace_ms: 300 };

const statusOf = (ctx: RunContext, id: string): string => String((findDelegation(ctx, id).record.child_agent as JsonObject).status);
const waitTerminal = async (ctx: RunContext, id: string, timeoutMs = 40_000): Promise<JsonObject> => {
  await waitFor(() => ['completed', 'failed', 'cancelled'].includes(statusOf(ctx, id)), `${id} to end`, timeoutMs);
  return findDelegation(ctx, id).record;
};
const requestOf = (record: JsonObject): JsonObject => record.worker_request as JsonObject;

describe('follow-ups with real workers', () => {
  let server: FakeModelServer;
  let root: string;
  let ctx: RunContext;
  let codexHome: string;
  let claudeDir: string;
  let geminiHome: string;
  let workDir: string;

  before(async () => {
    server = await startFakeModelServer({ tickMs: 100 });
    root = mkdtempSync(join(tmpdir(), 'captain-follow-up-'));
    workDir = join(root, 'work');
    mkdirSync(workDir);
    codexHome = makeWorkerHome('codex');
    claudeDir = makeWorkerHome('claude');
    writeCodexHome(codexHome, server.url);
    geminiHome = makeWorkerHome('gemini');
    writeGeminiHome(geminiHome);
    const run = createRun({ runDir: join(root, 'run'), title: 'follow-ups' });
    ctx = openRunContext(run.run_dir, CONFIG);
  });
  after(async () => {
    await server.close();
    rmSync(root, { recursive: true, force: true });
    rmSync(codexHome, { recursive: true, force: true });
    rmSync(claudeDir, { recursive: true, force: true });
    rmSync(geminiHome, { recursive: true, force: true });
  });

  const codex = (prompt: string) =>
    delegate(ctx, { kind: 'codex', prompt, sandbox: 'read-only', cwd: workDir, launcher: resolveCodexBin(), env: codexEnv(codexHome) });
  const claude = (prompt: string) =>
    delegate(ctx, { kind: 'claude', prompt, cwd: workDir, launcher: resolveClaudeBin(), env: claudeEnv(server.url, claudeDir) });
  const gemini = (prompt: string) =>
    delegate(ctx, { kind: 'gemini', prompt, argv: ['--model', FAKE_GEMINI_MODEL], cwd: workDir, launcher: resolveGeminiBin(), env: geminiEnv(server.url, geminiHome) });
  // Secrets are redacted on disk: a follow-up gets them again from its caller, as a retry gets them from its supervisor.
  const codexSecret = { [FAKE_CODEX_KEY_ENV]: codexEnv('unused')[FAKE_CODEX_KEY_ENV] as string };
  const claudeSecret = { ANTHROPIC_API_KEY: claudeEnv('http://127.0.0.1', 'unused').ANTHROPIC_API_KEY as string };

  it('codex: the follow-up resumes the thread (exec resume), in the same cwd, and the model sees the first prompt', async () => {
    const [first, fresh] = await Promise.all([codex('Remember secret-alpha7. [[fake:ok:noted]]'), codex('What did I ask you to remember? [[fake:recall:secret-]]')]);
    const firstRecord = await waitTerminal(ctx, first.delegation_id);
    assert.equal(getWorkerResult(ctx, first.delegation_id).status, 'completed', JSON.stringify(firstRecord.worker_result));
    const threadId = String(getWorkerResult(ctx, first.delegation_id).thread_id);

    const next = await followUp(ctx, { delegationId: first.delegation_id, prompt: 'What did I ask you to remember? [[fake:recall:secret-]]', env: codexSecret });
    assert.equal(next.follow_up_of, first.delegation_id);
    assert.equal(next.resumed_session_id, threadId);
    const nextRecord = await waitTerminal(ctx, next.delegation_id);
    const result = getWorkerResult(ctx, next.delegation_id);
    assert.equal(result.status, 'completed', JSON.stringify(nextRecord.worker_result));
    assert.equal(result.final_message, 'FAKE_RECALL prompts=2 words=secret-alpha7', 'the resumed request carries the first prompt');
    assert.equal(result.thread_id, threadId, 'the same thread');

    await waitTerminal(ctx, fresh.delegation_id);
    assert.equal(getWorkerResult(ctx, fresh.delegation_id).final_message, 'FAKE_RECALL prompts=1 words=', 'a fresh worker has no earlier turn');

    assert.equal(nextRecord.follow_up_of, first.delegation_id);
    assert.equal(findDelegation(ctx, first.delegation_id).record.followed_up_by, next.delegation_id);
    assert.equal(requestOf(nextRecord).cwd, workDir);
    assert.equal(requestOf(nextRecord).resume_session_id, threadId);
    const command = (nextRecord.worker_launch_evidence as JsonObject).command as string[];
    const launcher = resolveCodexBin();
    assert.deepEqual(command.slice(0, 1 + launcher.args.length), [launcher.command, ...launcher.args], 'the same CLI as the first launch');
    assert.deepEqual(command.slice(1 + launcher.args.length, 4 + launcher.args.length), ['exec', 'resume', '--json']);
    assert.ok(command.includes('sandbox_mode="read-only"'), 'the sandbox carried over');
    assert.equal(String((requestOf(nextRecord).env as JsonObject)[FAKE_CODEX_KEY_ENV]), '[redacted]', 'the secret never reaches the disk');
    assert.deepEqual(requestOf(nextRecord).launch_env, requestOf(firstRecord).launch_env, 'the first launch environment');

    // One follow-up per worker: the second is refused, naming the one to continue; the same key returns the first.
    await assert.rejects(followUp(ctx, { delegationId: first.delegation_id, prompt: 'again' }), new RegExp(`already followed up by ${next.delegation_id}; follow up ${next.delegation_id} instead`));
    // A follow-up of the follow-up continues the same thread with the whole history.
    const third = await followUp(ctx, { delegationId: next.delegation_id, prompt: 'And now? [[fake:recall:secret-]]', env: codexSecret });
    await waitTerminal(ctx, third.delegation_id);
    assert.equal(getWorkerResult(ctx, third.delegation_id).final_message, 'FAKE_RECALL prompts=3 words=secret-alpha7');
  });

  it('claude: the follow-up resumes the session (--resume) and the model sees the first prompt', async () => {
    const [first, fresh] = await Promise.all([claude('Remember secret-bravo3. [[fake:ok:noted]]'), claude('Recall. [[fake:recall:secret-]]')]);
    await waitTerminal(ctx, first.delegation_id);
    const firstResult = getWorkerResult(ctx, first.delegation_id);
    assert.equal(firstResult.status, 'completed', String(firstResult.summary));
    const next = await followUp(ctx, { delegationId: first.delegation_id, prompt: 'Recall. [[fake:recall:secret-]]', env: claudeSecret, idempotencyKey: 'claude-next' });
    assert.equal(next.resumed_session_id, firstResult.session_id);
    const again = await followUp(ctx, { delegationId: first.delegation_id, prompt: 'Recall. [[fake:recall:secret-]]', idempotencyKey: 'claude-next' });
    assert.deepEqual([again.delegation_id, again.reused], [next.delegation_id, true], 'a retried call with the same key returns the first follow-up');
    const nextRecord = await waitTerminal(ctx, next.delegation_id);
    const result = getWorkerResult(ctx, next.delegation_id);
    assert.equal(result.status, 'completed', JSON.stringify(nextRecord.worker_result));
    assert.equal(result.final_message, 'FAKE_RECALL prompts=2 words=secret-bravo3');
    assert.ok(((nextRecord.worker_launch_evidence as JsonObject).command as string[]).includes('--resume'));
    await waitTerminal(ctx, fresh.delegation_id);
    assert.equal(getWorkerResult(ctx, fresh.delegation_id).final_message, 'FAKE_RECALL prompts=1 words=');
  });

  it('a worktree worker is followed up in its worktree (collected first), continuing its branch', async () => {
    const repo = makeRepo();
    try {
      const wtRun = openRunContext(createRun({ runDir: join(root, 'wt-run'), title: 'worktree follow-up' }).run_dir, CONFIG);
      const first = await delegate(wtRun, { kind: 'codex', prompt: 'Edit. [[fake:shell:echo edited > e.txt]]', sandbox: 'workspace-write', cwd: repo.dir, worktree: true, launcher: resolveCodexBin(), env: codexEnv(codexHome) });
      const firstRecord = await waitTerminal(wtRun, first.delegation_id);
      const worktree = firstRecord.worktree as JsonObject;
      const next = await followUp(wtRun, { delegationId: first.delegation_id, prompt: 'Recall. [[fake:shell:cat e.txt]]', env: codexSecret });
      const nextRecord = await waitTerminal(wtRun, next.delegation_id);
      assert.equal(getWorkerResult(wtRun, next.delegation_id).final_message, 'FAKE_OK ran `cat e.txt`; output: edited', 'it ran where the first worker left its file');
      assert.equal(requestOf(nextRecord).cwd, worktree.path);
      assert.deepEqual([(nextRecord.worktree as JsonObject).branch, (nextRecord.worktree as JsonObject).reused_from], [worktree.branch, first.delegation_id]);
      assert.ok((findDelegation(wtRun, first.delegation_id).record.worktree as JsonObject).collected_at, 'the earlier work was collected before the follow-up started');
      await waitCollected(wtRun.runDir, [next.delegation_id]);
    } finally {
      rmSync(repo.root, { recursive: true, force: true, maxRetries: 5 });
    }
  });

  it('gemini: the follow-up resumes the session (--resume SESSION_ID) and the model sees the first prompt', async () => {
    const first = await gemini('Remember secret-charlie9. [[fake:ok:noted]]');
    await waitTerminal(ctx, first.delegation_id, 60_000);
    const firstResult = getWorkerResult(ctx, first.delegation_id);
    assert.equal(firstResult.status, 'completed', String(firstResult.summary));
    const next = await followUp(ctx, { delegationId: first.delegation_id, prompt: 'Recall. [[fake:recall:secret-]]', env: { GEMINI_API_KEY: 'fake-gemini-key' } });
    assert.equal(next.resumed_session_id, firstResult.session_id);
    const nextRecord = await waitTerminal(ctx, next.delegation_id, 60_000);
    const result = getWorkerResult(ctx, next.delegation_id);
    assert.equal(result.status, 'completed', JSON.stringify(nextRecord.worker_result));
    assert.equal(result.final_message, 'FAKE_RECALL prompts=2 words=secret-charlie9');
  });

  it('refuses a running worker, a command worker, a worker without a thread id; concurrent calls start one follow-up', async () => {
    const hang = await delegate(ctx, { kind: 'command', argv: [process.execPath, fixturePath('hang.mjs')], cwd: workDir });
    await assert.rejects(followUp(ctx, { delegationId: hang.delegation_id, prompt: 'more' }), /command worker: it ran a program, not an agent conversation/);
    const running = await codex('wait [[fake:hang]]');
    await assert.rejects(followUp(ctx, { delegationId: running.delegation_id, prompt: 'more' }), /is still running: follow up once it has ended/);
    await cancelDelegation(ctx, running.delegation_id);
    await cancelDelegation(ctx, hang.delegation_id);
    // A "codex" whose CLI ends before starting a thread: nothing to resume.
    const silent = await delegate(ctx, { kind: 'codex', prompt: 'x', cwd: workDir, launcher: { command: process.execPath, args: [fixturePath('exit-silent.mjs')], env: {} } });
    await waitTerminal(ctx, silent.delegation_id);
    await assert.rejects(followUp(ctx, { delegationId: silent.delegation_id, prompt: 'more' }), /has no thread id in its result/);
    await assert.rejects(followUp(ctx, { delegationId: 'dlg-nope', prompt: 'more' }), /no delegation dlg-nope/);

    // A finished worker is followed up once, however many callers race.
    const done = await codex('Hi. [[fake:ok:hi]]');
    await waitTerminal(ctx, done.delegation_id);
    const calls = await Promise.allSettled([1, 2, 3].map(() => followUp(ctx, { delegationId: done.delegation_id, prompt: 'Go on. [[fake:ok:went on]]', env: codexSecret })));
    const won = calls.filter((c): c is PromiseFulfilledResult<Awaited<ReturnType<typeof followUp>>> => c.status === 'fulfilled');
    assert.equal(won.length, 1, JSON.stringify(calls.map((c) => (c.status === 'rejected' ? String(c.reason) : c.value.delegation_id))));
    for (const c of calls) if (c.status === 'rejected') assert.match(String(c.reason), /already followed up by/);
    assert.equal(findDelegation(ctx, done.delegation_id).record.followed_up_by, won[0]?.value.delegation_id);
    await waitTerminal(ctx, won[0]!.value.delegation_id);
    assert.equal(getWorkerResult(ctx, won[0]!.value.delegation_id).final_message, 'went on');
  });

  it('captain follow-up (the CLI): refuses a command worker with exit 2, follows up a codex worker', async () => {
    const cmd = await delegate(ctx, { kind: 'command', argv: [process.execPath, '-e', '0'], cwd: workDir });
    await waitTerminal(ctx, cmd.delegation_id);
    const refused = runCaptain(['follow-up', '--run-dir', ctx.runDir, '--delegation', cmd.delegation_id, '--prompt', 'more']);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /command worker/);

    const first = await codex('Remember secret-cli5. [[fake:ok:noted]]');
    await waitTerminal(ctx, first.delegation_id);
    const out = runCaptain(['follow-up', '--run-dir', ctx.runDir, '--delegation', first.delegation_id, '--prompt', 'Recall. [[fake:recall:secret-]]', '--json'], { env: codexSecret });
    assert.equal(out.code, 0, out.stderr);
    const answer = JSON.parse(out.stdout) as JsonObject;
    assert.equal(answer.follow_up_of, first.delegation_id);
    await waitTerminal(ctx, String(answer.delegation_id));
    assert.equal(getWorkerResult(ctx, String(answer.delegation_id)).final_message, 'FAKE_RECALL prompts=2 words=secret-cli5');
  });
});
