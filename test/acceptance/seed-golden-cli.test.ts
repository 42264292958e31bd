/**
 * Acceptance through the real CLI: `node dist/bin/captain.js status --run-dir <copy> --task-card card-main
 * --json --snapshot` prints the seed's `worker_visibility` and `reclaim_plan` (golden files made by
 * upstream's worker_lifecycle.rs, see seed-golden.test.ts).
 *
 * The CLI reads the real clock, so each fixture run is copied with every RFC 3339 timestamp moved by
 * `shift = copyTime - goldenNow`; the golden answer gets the same move. Progress ages then read
 * `golden + d`, where d (copy to CLI start) is at most the time the CLI took: ages are checked to lie
 * in [golden, golden + measured], everything else must be equal. Only runs whose workers sit
 * seconds away from any threshold are used (not the `boundaries` run).
 * The seed's worker order is fs::read_dir order, so lists are compared sorted by delegation_id.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCaptain } from '../helpers/cli.js';
import { getKey, isJsonObject, type Json, type JsonObject } from '../../src/util/json.js';
import { formatRfc3339, parseRfc3339Millis } from '../../src/util/time.js';

const golden = fileURLToPath(new URL('../fixtures/golden/', import.meta.url));
const goldenNowMs = (JSON.parse(readFileSync(join(golden, 'now.json'), 'utf8')) as { now_ms: number }).now_ms;
const RUNS = ['terminal', 'launching', 'odd'];
const CONFIGS = ['defaults', 'short', 'long-no-auto'];
/** Fields holding an age in milliseconds (or null). */
const AGE_KEYS = new Set(['elapsed_since_progress_ms', 'elapsed_ms', 'last_update_age_ms', 'elapsed_since_tick_ms']);

const readJson = (path: string): Json => JSON.parse(readFileSync(path, 'utf8')) as Json;

/** Every string that parses as an RFC 3339 time, moved by `shiftMs`; everything else as it is. */
const shiftTimes = (value: Json, shiftMs: number): Json => {
  if (typeof value === 'string') {
    const ms = parseRfc3339Millis(value);
    return ms === undefined ? value : formatRfc3339(ms + shiftMs);
  }
  if (Array.isArray(value)) return value.map((v) => shiftTimes(v, shiftMs));
  if (isJsonObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shiftTimes(v, shiftMs)]));
  return value;
};

/** The value with its ages replaced by a marker, and the ages by path (ages inside recovery reasons too). */
const splitAges = (value: Json, path = ''): { shape: Json; ages: Map<string, number | null> } => {
  const ages = new Map<string, number | null>();
  const walk = (v: Json, p: string, key: string): Json => {
    if (AGE_KEYS.has(key) && (v === null || typeof v === 'number')) {
      ages.set(p, v);
      return '<age>';
    }
    if (key === 'recovery_reason' && typeof v === 'string') {
      return v.replace(/age (\d+) ms/, (_, n: string) => {
        ages.set(p, Number(n));
        return 'age <age> ms';
      });
    }
    if (Array.isArray(v)) return v.map((item, i) => walk(item, `${p}[${i}]`, ''));
    if (isJsonObject(v)) return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, walk(item, `${p}.${k}`, k)]));
    return v;
  };
  return { shape: walk(value, path, ''), ages };
};

const sortKey = (value: Json): string => JSON.stringify(getKey(value, 'delegation_id') ?? null);
const sorted = (list: Json | undefined): Json[] =>
  [...(Array.isArray(list) ? list : [])].sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
const normalize = (visibility: Json, plan: Json): Json => ({
  worker_visibility: isJsonObject(visibility) ? { ...visibility, workers: sorted(visibility.workers), active_workers: sorted(visibility.active_workers) } : visibility,
  reclaim_plan: isJsonObject(plan) ? { ...plan, targets: sorted(plan.targets) } : plan,
});

/** The CLI's environment for one golden config: its CAPTAIN_WORKER_* variables and no others, a HOME without a ccc-config.toml. */
const envFor = (seedConfig: Json, home: string): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { HOME: home };
  for (const name of Object.keys(process.env)) if (name.startsWith('CAPTAIN_')) env[name] = undefined;
  for (const key of ['worker_stuck_after_ms', 'worker_quiet_after_ms', 'worker_kill_grace_ms', 'worker_auto_reclaim_enabled']) {
    const value = getKey(seedConfig, key);
    if (value !== undefined) env[`CAPTAIN_${key.toUpperCase()}`] = String(value);
  }
  return env;
};

describe('captain status --json --snapshot (the real CLI) matches the seed', () => {
  const temp = mkdtempSync(join(tmpdir(), 'captain-'));
  after(() => rmSync(temp, { recursive: true, force: true }));

  for (const run of RUNS) {
    for (const config of CONFIGS) {
      it(`${run} with ${config} config`, () => {
        const runDir = join(temp, `${run}.${config}`);
        cpSync(join(golden, 'runs', run), runDir, { recursive: true });
        const copiedAt = Date.now();
        const shiftMs = copiedAt - goldenNowMs;
        const delegations = join(runDir, 'delegations');
        for (const name of readdirSync(delegations)) {
          const path = join(delegations, name);
          writeFileSync(path, `${JSON.stringify(shiftTimes(readJson(path), shiftMs), null, 2)}\n`);
        }
        const seedConfig = readJson(join(golden, 'configs', `${config}.json`));
        const result = runCaptain(['status', '--run-dir', runDir, '--task-card', 'card-main', '--json', '--snapshot'], { env: envFor(seedConfig, temp) });
        const slackMs = Date.now() - copiedAt;
        assert.equal(result.code, 0, result.stderr);
        const status = JSON.parse(result.stdout) as JsonObject;
        assert.deepEqual(status.errors, []);

        const seed = readJson(join(golden, 'expected', `${run}.${config}.json`));
        const expected = splitAges(shiftTimes(normalize(getKey(seed, 'worker_visibility') ?? null, getKey(seed, 'reclaim_plan') ?? null), shiftMs));
        const actual = splitAges(normalize(status.worker_visibility ?? null, status.reclaim_plan ?? null));
        assert.deepEqual(actual.shape, expected.shape);
        assert.deepEqual([...actual.ages.keys()].sort(), [...expected.ages.keys()].sort());
        assert.ok(expected.ages.size > 0, 'the comparison saw no ages');
        for (const [path, want] of expected.ages) {
          const got = actual.ages.get(path);
          if (want === null) assert.equal(got, null, path);
          else assert.ok(typeof got === 'number' && got >= want && got <= want + slackMs, `${path}: ${got} outside [${want}, ${want + slackMs}]`);
        }
      });
    }
  }
});
