/**
 * captain's launch path end to end with the real Gemini CLI against the fake model server on
 * 127.0.0.1 (the same scenarios as codex and claude in real-workers.test.ts): success with token
 * usage, a model error, slow shell steps that stay active, and a hung worker reclaimed with its group.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RUNTIME_CONFIG, FAKE_MODEL_DEFAULT_TEXT, type RuntimeConfig } from '../../src/config/defaults.js';
import { startFakeModelServer, type FakeModelServer } from '../../src/fake-model/server.js';
import { FAKE_GEMINI_MODEL, geminiEnv, makeWorkerHome, resolveGeminiBin, writeGeminiHome } from '../../src/fake-model/worker-env.js';
import { openRunContext, type RunContext } from '../../src/ops/context.js';
import { delegate } from '../../src/ops/delegate.js';
import { reclaimStuckWorkers } from '../../src/ops/reclaim.js';
import { createRun } from '../../src/ops/runs.js';
import { getStatus } from '../../src/ops/status.js';
import { findDelegation, getWorkerResult, readWorkerEvents } from '../../src/ops/worker.js';
import type { JsonObject } from '../../src/util/json.js';
import { procAlive, sleep, waitFor } from '../helpers/worker-harness.js';

// The Gemini CLI needs 2-6 s on this loaded 2-core machine before its first line: the stale threshold leaves room for that.
const CONFIG: RuntimeConfig = { ...DEFAULT_RUNTIME_CONFIG, worker_stuck_after_ms: 12_000, worker_kill_grace_ms: 300 };

const lifecycleOf = (record: JsonObject): JsonObject => record.worker_lifecycle as JsonObject;
const statusOf = (ctx: RunContext, id: string): string => String((findDelegation(ctx, id).record.child_agent as JsonObject).status);
const waitTerminal = async (ctx: RunContext, id: string, timeoutMs = 40_000): Promise<JsonObject> => {
  await waitFor(() => ['completed', 'failed', 'cancelled'].includes(statusOf(ctx, id)), `${id} to end`, timeoutMs);
  return findDelegation(ctx, id).record;
};

describe('real Gemini CLI launched by captain', () => {
  let server: FakeModelServer;
  let root: string;
  let ctx: RunContext;
  let home: string;
  let workDir: string;

  before(async () => {
    server = await startFakeModelServer({ tickMs: 200 });
    root = mkdtempSync(join(tmpdir(), 'captain-gemini-'));
    workDir = join(root, 'work');
    mkdirSync(workDir);
    home = makeWorkerHome('gemini');
    writeGeminiHome(home);
    const run = createRun({ runDir: join(root, 'run'), title: 'real gemini' });
    ctx = openRunContext(run.run_dir, CONFIG);
  });
  after(async () => {
    await server.close();
    rmSync(root, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  });

  const gemini = (prompt: string, ...extra: string[]) =>
    delegate(ctx, {
      kind: 'gemini',
      prompt,
      argv: ['--model', FAKE_GEMINI_MODEL, ...extra],
      cwd: workDir,
      launcher: resolveGeminiBin(),
      env: geminiEnv(server.url, home),
    });

  it('success with token usage, and a model error, finalize with the parsed result', async () => {
    const [ok, error] = await Promise.all([gemini('say hi [[fake:ok:hello from gemini]]'), gemini('break [[fake:error:400:bad request body]]')]);
    const okRecord = await waitTerminal(ctx, ok.delegation_id);
    const okResult = getWorkerResult(ctx, ok.delegation_id);
    assert.equal(okResult.status, 'completed', JSON.stringify(okRecord.worker_result));
    assert.equal(okResult.final_message, 'hello from gemini');
    assert.match(String(okResult.session_id), /^[0-9a-f-]{36}$/);
    const usage = okResult.usage as JsonObject;
    assert.ok(Number(usage.input_tokens) > 100, JSON.stringify(usage));
    assert.ok(Number(usage.output_tokens) > 0);
    assert.ok((usage.models as JsonObject)[FAKE_GEMINI_MODEL], 'per-model counts kept for pricing');
    assert.equal(okResult.cost_source, 'priced', 'gemini-2.5-flash is in the price table');
    assert.ok(Number(okResult.cost_usd) > 0);
    const workerResult = okRecord.worker_result as JsonObject;
    assert.equal(workerResult.terminal_event, 'result');
    assert.equal(workerResult.model, FAKE_GEMINI_MODEL);
    assert.deepEqual(workerResult.process_exit, { success: true, exit_code: 0, signal: null });

    await waitTerminal(ctx, error.delegation_id);
    const errResult = getWorkerResult(ctx, error.delegation_id);
    assert.equal(errResult.status, 'failed');
    assert.equal(errResult.failure_reason, 'execution_failed');
    assert.match(String(errResult.summary), /Gemini CLI reported an error: .*bad request body/);
    // Gemini exits 400 & 0xff = 144, which the wrapper's shell reports like a signal (128 + 16): the error result decides.
    assert.match(String(errResult.summary), /error_type=/);
  });

  it('slow shell steps stay active; a hung gemini goes stale and is reclaimed with its group', async () => {
    const steps = await gemini('check [[fake:steps:3:0.8]]', '--approval-mode', 'yolo');
    const hang = await gemini('wait [[fake:hang]]');
    await waitFor(() => lifecycleOf(findDelegation(ctx, hang.delegation_id).record).process_id !== null, 'hang to start', 10_000);
    const hangPid = Number(lifecycleOf(findDelegation(ctx, hang.delegation_id).record).process_id);
    const seen = new Set<string>();
    const deadline = Date.now() + 40_000;
    while (Date.now() < deadline && statusOf(ctx, steps.delegation_id) === 'running') {
      const status = getStatus(ctx, { taskCardId: hang.task_card_id });
      const worker = ((status.worker_visibility as JsonObject).workers as JsonObject[]).find((w) => w.delegation_id === steps.delegation_id);
      seen.add(String((worker?.worker_lifecycle as JsonObject).state));
      await sleep(100);
    }
    assert.equal(statusOf(ctx, steps.delegation_id), 'completed', String(getWorkerResult(ctx, steps.delegation_id).summary));
    assert.ok(!seen.has('stale') && !seen.has('timed_out'), `the slow worker was never stuck: ${[...seen].join(', ')}`);
    const lines = readWorkerEvents(ctx, steps.delegation_id).events.map((e) => e.text);
    assert.equal(lines.filter((l) => /^tool result: step \d of 3$/.test(l)).length, 3, lines.join('\n'));
    assert.equal(getWorkerResult(ctx, steps.delegation_id).final_message, `${FAKE_MODEL_DEFAULT_TEXT} finished 3 steps`);

    await waitFor(() => {
      const status = getStatus(ctx, { taskCardId: hang.task_card_id });
      return ((status.reclaim_plan as JsonObject).targets as JsonObject[]).some((t) => t.delegation_id === hang.delegation_id);
    }, 'the hung gemini to need reclaim', 30_000);
    const result = await reclaimStuckWorkers(ctx);
    assert.ok(['terminated', 'killed'].includes(String(result.reclaimed.find((r) => r.delegation_id === hang.delegation_id)?.termination)));
    await waitFor(() => !procAlive(hangPid), 'the gemini process to be gone');
    await sleep(300);
    const record = findDelegation(ctx, hang.delegation_id).record;
    assert.equal(lifecycleOf(record).reclaim_state, 'reclaimed');
    assert.equal((record.child_agent as JsonObject).status, 'failed');
  });
});
