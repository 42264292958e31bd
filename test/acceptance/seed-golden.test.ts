/**
 * Acceptance: captain's `worker_visibility` and `reclaim_plan` equal what THE SEED ITSELF computes
 * for the same runs. The golden files were produced by upstream's `worker_lifecycle.rs`, compiled
 * and run by `tools/seed-golden/run.sh` (the seed patched only to take `now` as an argument) over
 * the fixture runs of `test/fixtures/golden/make-runs.ts`, with the configs in `configs/`.
 * The seed walks `fs::read_dir` order, which is unspecified, so worker lists are compared sorted.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_RUNTIME_CONFIG, type RuntimeConfig } from '../../src/config/defaults.js';
import { createReclaimPlanPayload } from '../../src/lifecycle/reclaim-plan.js';
import { createVisibleWorker, createWorkerVisibilityPayload } from '../../src/lifecycle/visibility.js';
import { loadDelegations } from '../../src/store/records.js';
import { asString, getKey, type Json, type JsonObject } from '../../src/util/json.js';

const golden = fileURLToPath(new URL('../fixtures/golden/', import.meta.url));
const nowMs = (JSON.parse(readFileSync(join(golden, 'now.json'), 'utf8')) as { now_ms: number }).now_ms;

const byId = (list: Json | undefined): Json[] =>
  [...(Array.isArray(list) ? list : [])].sort((a, b) => String(getKey(a, 'delegation_id')).localeCompare(String(getKey(b, 'delegation_id'))));

/** The payloads with their worker lists in delegation-id order. */
const normalize = (payload: { worker_visibility: Json; reclaim_plan: Json }): Json => {
  const v = payload.worker_visibility as JsonObject | null;
  const p = payload.reclaim_plan as JsonObject | null;
  return {
    worker_visibility: v === null ? null : { ...v, workers: byId(v.workers), active_workers: byId(v.active_workers) },
    reclaim_plan: p === null ? null : { ...p, targets: byId(p.targets) },
  };
};

const configFrom = (seedConfig: JsonObject): RuntimeConfig => ({
  ...DEFAULT_RUNTIME_CONFIG,
  worker_stuck_after_ms: Number(seedConfig.worker_stuck_after_ms),
  worker_quiet_after_ms: typeof seedConfig.worker_quiet_after_ms === 'number' ? seedConfig.worker_quiet_after_ms : undefined,
  worker_kill_grace_ms: Number(seedConfig.worker_kill_grace_ms),
  worker_auto_reclaim_enabled: seedConfig.worker_auto_reclaim_enabled !== false,
});

describe('captain matches the seed (golden files computed by upstream worker_lifecycle.rs)', () => {
  const runs = readdirSync(join(golden, 'runs')).sort();
  const configs = readdirSync(join(golden, 'configs')).map((f) => f.replace(/\.json$/, '')).sort();
  assert.ok(runs.length >= 4 && configs.length >= 3);
  for (const run of runs) {
    for (const config of configs) {
      it(`${run} with ${config} config`, () => {
        const runDir = join(golden, 'runs', run);
        const seedConfig = JSON.parse(readFileSync(join(golden, 'configs', `${config}.json`), 'utf8')) as JsonObject;
        const card = asString(getKey(JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as JsonObject, 'active_task_card_id'))!;
        const runtime = configFrom(seedConfig);
        const workers = loadDelegations(runDir)
          .records.map((r) => r.record)
          .filter((record) => asString(getKey(record, 'task_card_id')) === card)
          .map((record) => createVisibleWorker(record, runtime, nowMs));
        const visibility = createWorkerVisibilityPayload(card, workers);
        const ours = normalize({ worker_visibility: visibility, reclaim_plan: createReclaimPlanPayload(visibility, runtime) });
        const seed = normalize(JSON.parse(readFileSync(join(golden, 'expected', `${run}.${config}.json`), 'utf8')) as { worker_visibility: Json; reclaim_plan: Json });
        assert.deepEqual(ours, seed);
      });
    }
  }
});
