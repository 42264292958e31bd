/**
 * captain's launch path end to end with real workers: `delegate` writes the record and starts a
 * detached monitor (the built CLI), the monitor runs the worker and finalizes the record. Workers
 * are the real Codex CLI and Claude Code against the project's fake model server on 127.0.0.1, and
 * fixture programs for the process edge cases.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RUNTIME_CONFIG, type RuntimeConfig } from '../../src/config/defaults.js';
import { startFakeModelServer, type FakeModelServer } from '../../src/fake-model/server.js';
import { claudeEnv, codexEnv, makeWorkerHome, resolveClaudeBin, resolveCodexBin, writeCodexHome } from '../../src/fake-model/worker-env.js';
import { openRunContext, type RunContext } from '../../src/ops/context.js';
import { delegate } from '../../src/ops/delegate.js';
import { reclaimStuckWorkers } from '../../src/ops/reclaim.js';
import { createRun } from '../../src/ops/runs.js';
import { getStatus } from '../../src/ops/status.js';
import { cancelDelegation, findDelegation, getWorkerResult, readWorkerEvents } from '../../src/ops/worker.js';
import { readRunEvents } from '../../src/store/events-log.js';
import type { JsonObject } from '../../src/util/json.js';
import { fixturePath, procAlive, sleep, waitFor } from '../helpers/worker-harness.js';

const CONFIG: RuntimeConfig = { ...DEFAULT_RUNTIME_CONFIG, worker_stuck_after_ms: 2_500, worker_kill_grace_ms: 300 };

const lifecycleOf = (record: JsonObject): JsonObject => record.worker_lifecycle as JsonObject;
const statusOf = (ctx: RunContext, id: string): string => String((findDelegation(ctx, id).record.child_agent as JsonObject).status);
const waitTerminal = async (ctx: RunContext, id: string, timeoutMs = 20_000): Promise<JsonObject> => {
  await waitFor(() => ['completed', 'failed', 'cancelled'].includes(statusOf(ctx, id)), `${id} to end`, timeoutMs);
  return findDelegation(ctx, id).record;
};

describe('real workers launched by captain', () => {
  let server: FakeModelServer;
  let root: string;
  let ctx: RunContext;
  let codexHome: string;
  let claudeDir: string;
  let workDir: string;

  before(async () => {
    server = await startFakeModelServer({ tickMs: 200 });
    root = mkdtempSync(join(tmpdir(), 'captain-workers-'));
    workDir = join(root, 'work');
    mkdirSync(workDir);
    codexHome = makeWorkerHome('codex');
    claudeDir = makeWorkerHome('claude');
    writeCodexHome(codexHome, server.url);
    const run = createRun({ runDir: join(root, 'run'), title: 'real workers' });
    ctx = openRunContext(run.run_dir, CONFIG);
  });
  after(async () => {
    await server.close();
    rmSync(root, { recursive: true, force: true });
    rmSync(codexHome, { recursive: true, force: true });
    rmSync(claudeDir, { recursive: true, force: true });
  });

  const codex = (prompt: string) =>
    delegate(ctx, { kind: 'codex', prompt, sandbox: 'read-only', cwd: workDir, launcher: resolveCodexBin(), env: codexEnv(codexHome) });
  const claude = (prompt: string) =>
    delegate(ctx, { kind: 'claude', prompt, cwd: workDir, launcher: resolveClaudeBin(), env: claudeEnv(server.url, claudeDir) });
  const command = (fixture: string, ...args: string[]) =>
    delegate(ctx, { kind: 'command', argv: [process.execPath, fixturePath(fixture), ...args], cwd: workDir });

  it('codex success, model error and a shell tool call finalize with the parsed result', async () => {
    const [ok, error, shell] = await Promise.all([
      codex('say hi [[fake:ok:hello from codex]]'),
      codex('break [[fake:error:400:bad request body]]'),
      codex('run it [[fake:shell:echo tool-output-42]]'),
    ]);
    assert.equal(ok.state, 'launching');
    const okRecord = await waitTerminal(ctx, ok.delegation_id);
    const okResult = getWorkerResult(ctx, ok.delegation_id);
    assert.equal(okResult.status, 'completed', JSON.stringify(okRecord.worker_result));
    assert.equal(okResult.final_message, 'hello from codex');
    assert.match(String(okResult.thread_id), /^[0-9a-f-]{36}$/);
    assert.ok((okResult.usage as JsonObject).input_tokens, 'token usage recorded');
    assert.deepEqual((okRecord.worker_result as JsonObject).process_exit, { success: true, exit_code: 0, signal: null });
    const identity = lifecycleOf(okRecord).process_identity as JsonObject;
    assert.equal(identity.pid, lifecycleOf(okRecord).process_id, 'the identity of the worker was recorded at launch');
    assert.equal(typeof identity.start_ticks, 'number');

    await waitTerminal(ctx, error.delegation_id);
    const errResult = getWorkerResult(ctx, error.delegation_id);
    assert.equal(errResult.status, 'failed');
    assert.equal(errResult.failure_reason, 'execution_failed');
    assert.match(String(errResult.summary), /bad request body/);

    await waitTerminal(ctx, shell.delegation_id);
    const shellResult = getWorkerResult(ctx, shell.delegation_id);
    assert.equal(shellResult.status, 'completed');
    const lines = readWorkerEvents(ctx, shell.delegation_id).events.map((e) => e.text);
    assert.ok(lines.some((l) => /echo tool-output-42/.test(l)), lines.join('\n'));
  });

  it('codex running slow steps stays active; a hung codex goes stale and is reclaimed with its group', async () => {
    const steps = await codex('check [[fake:steps:3:0.8]]');
    const hang = await codex('wait [[fake:hang]]');
    await waitFor(() => lifecycleOf(findDelegation(ctx, hang.delegation_id).record).process_id !== null, 'hang to start', 10_000);
    const hangPid = Number(lifecycleOf(findDelegation(ctx, hang.delegation_id).record).process_id);
    const seen = new Set<string>();
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && statusOf(ctx, steps.delegation_id) === 'running') {
      const status = getStatus(ctx, { taskCardId: hang.task_card_id });
      const worker = ((status.worker_visibility as JsonObject).workers as JsonObject[]).find((w) => w.delegation_id === steps.delegation_id);
      seen.add(String((worker?.worker_lifecycle as JsonObject).state));
      await sleep(100);
    }
    assert.equal(statusOf(ctx, steps.delegation_id), 'completed');
    assert.ok(!seen.has('stale') && !seen.has('timed_out'), `the slow worker was never stuck: ${[...seen].join(', ')}`);
    await waitFor(() => {
      const status = getStatus(ctx, { taskCardId: hang.task_card_id });
      return ((status.reclaim_plan as JsonObject).targets as JsonObject[]).some((t) => t.delegation_id === hang.delegation_id);
    }, 'the hung worker to need reclaim', 10_000);
    const result = await reclaimStuckWorkers(ctx);
    const entry = result.reclaimed.find((r) => r.delegation_id === hang.delegation_id);
    assert.equal(entry?.termination, 'terminated');
    await waitFor(() => !procAlive(hangPid), 'the codex process to be gone');
    await sleep(300);
    const record = findDelegation(ctx, hang.delegation_id).record;
    assert.equal(lifecycleOf(record).reclaim_state, 'reclaimed', 'the monitor did not overwrite the reclaim when codex exited');
    assert.equal((record.child_agent as JsonObject).status, 'failed');
    // The wrapper's finalizer (a Node start-up after the worker died) finds the record reclaimed and leaves it.
    const monitorLog = join(ctx.runDir, 'raw-events', `${hang.delegation_id}.monitor.log`);
    await waitFor(() => /already finalized \(or superseded\)/.test(readFileSync(monitorLog, 'utf8')), 'the finalizer to leave the reclaimed record alone', 10_000);
    assert.equal(lifecycleOf(findDelegation(ctx, hang.delegation_id).record).reclaim_state, 'reclaimed');
  });

  it('claude success and model error', async () => {
    const [ok, error] = await Promise.all([claude('hi [[fake:ok:hello from claude]]'), claude('fail [[fake:error:400:nope]]')]);
    await waitTerminal(ctx, ok.delegation_id, 30_000);
    const okResult = getWorkerResult(ctx, ok.delegation_id);
    assert.equal(okResult.status, 'completed', String(okResult.summary));
    assert.equal(okResult.final_message, 'hello from claude');
    assert.match(String(okResult.session_id), /^[0-9a-f-]{36}$/);
    assert.equal(typeof okResult.cost_usd, 'number');
    await waitTerminal(ctx, error.delegation_id, 30_000);
    assert.equal(getWorkerResult(ctx, error.delegation_id).status, 'failed');
  });

  it('claude: a shell tool call completes; a hung claude goes stale and is reclaimed', async () => {
    const [shell, hang] = await Promise.all([claude('run it [[fake:shell:echo claude-tool-7]]'), claude('wait [[fake:hang]]')]);
    await waitTerminal(ctx, shell.delegation_id, 30_000);
    assert.equal(getWorkerResult(ctx, shell.delegation_id).status, 'completed', String(getWorkerResult(ctx, shell.delegation_id).summary));
    const lines = readWorkerEvents(ctx, shell.delegation_id).events.map((e) => e.text);
    assert.ok(lines.some((l) => /echo claude-tool-7/.test(l)), lines.join('\n'));
    await waitFor(() => {
      const status = getStatus(ctx, { taskCardId: hang.task_card_id });
      return ((status.reclaim_plan as JsonObject).targets as JsonObject[]).some((t) => t.delegation_id === hang.delegation_id);
    }, 'the hung claude to need reclaim', 15_000);
    const pid = Number(lifecycleOf(findDelegation(ctx, hang.delegation_id).record).process_id);
    const result = await reclaimStuckWorkers(ctx);
    assert.ok(['terminated', 'killed'].includes(String(result.reclaimed.find((r) => r.delegation_id === hang.delegation_id)?.termination)));
    await waitFor(() => !procAlive(pid), 'the claude process to be gone');
  });

  it('commands: a crash fails, exit 0 with no output completes, stdin is closed unless --stdin gives a file', async () => {
    const crash = await command('crash.mjs');
    const silent = await command('exit-silent.mjs');
    const reader = await delegate(ctx, { kind: 'command', argv: [process.execPath, '-e', 'process.stdin.on("data",()=>{}).on("end",()=>console.log("stdin closed"))'], cwd: workDir });
    const stdinFile = join(root, 'input.txt');
    writeFileSync(stdinFile, 'line one\n');
    const fed = await delegate(ctx, { kind: 'command', argv: [process.execPath, '-e', 'process.stdin.pipe(process.stdout)'], cwd: workDir, stdinFile });
    assert.equal(getWorkerResult(ctx, (await waitTerminal(ctx, crash.delegation_id), crash.delegation_id)).status, 'failed');
    await waitTerminal(ctx, silent.delegation_id);
    assert.equal(getWorkerResult(ctx, silent.delegation_id).status, 'completed', 'a command that exits 0 completed');
    await waitTerminal(ctx, reader.delegation_id, 5_000);
    assert.equal(getWorkerResult(ctx, reader.delegation_id).summary, 'stdin closed');
    await waitTerminal(ctx, fed.delegation_id, 5_000);
    assert.equal(getWorkerResult(ctx, fed.delegation_id).summary, 'line one');
  });

  it('a grandchild left holding stdout is reaped when the worker exits', async () => {
    const script = `const {spawn}=require('child_process');const g=spawn(process.execPath,['-e','process.on("SIGTERM",()=>{});console.log(JSON.stringify({grandchild:process.pid}));setInterval(()=>{},1e6)'],{stdio:['ignore','inherit','inherit']});setTimeout(()=>process.exit(0),500)`;
    const parent = await delegate(ctx, { kind: 'command', argv: [process.execPath, '-e', script], cwd: workDir });
    const record = await waitTerminal(ctx, parent.delegation_id);
    const orphans = lifecycleOf(record).orphans_reaped as number[];
    assert.equal(orphans.length, 1, JSON.stringify(lifecycleOf(record)));
    await waitFor(() => !procAlive(orphans[0]!), 'the grandchild to be gone', 5_000);
  });

  it('cancel kills the group and records cancelled; the monitor leaves it alone', async () => {
    const hang = await command('hang.mjs');
    await waitFor(() => lifecycleOf(findDelegation(ctx, hang.delegation_id).record).process_id !== null, 'hang to start');
    const pid = Number(lifecycleOf(findDelegation(ctx, hang.delegation_id).record).process_id);
    const result = await cancelDelegation(ctx, hang.delegation_id, 'test cancel');
    assert.equal(result.termination, 'terminated');
    assert.ok(!procAlive(pid));
    await sleep(300);
    assert.equal(statusOf(ctx, hang.delegation_id), 'cancelled');
    const lifecycle = lifecycleOf(findDelegation(ctx, hang.delegation_id).record);
    assert.deepEqual([lifecycle.state, lifecycle.termination], ['cancelled', 'terminated']);
    assert.deepEqual(readRunEvents(ctx.runDir).events.filter((e) => e.delegation_id === hang.delegation_id).map((e) => e.event), ['worker_delegated']);
  });

  it('an idempotency key returns the first delegation instead of launching again', async () => {
    const first = await command('emit-jsonl.mjs', '1', '10');
    const key = `key-${first.delegation_id}`;
    const a = await delegate(ctx, { kind: 'command', argv: [process.execPath, fixturePath('emit-jsonl.mjs')], cwd: workDir, idempotencyKey: key });
    const b = await delegate(ctx, { kind: 'command', argv: [process.execPath, fixturePath('emit-jsonl.mjs')], cwd: workDir, idempotencyKey: key });
    assert.equal(b.delegation_id, a.delegation_id);
    assert.equal(b.reused, true);
    assert.ok(existsSync(a.delegation_file));
  });
});
