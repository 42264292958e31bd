/**
 * A retry runs with the environment of the first launch, not the supervisor's: the variables the
 * worker depends on and its `--env` values are recorded (secrets as `[redacted]`, never on disk)
 * and restored; a secret the retrying supervisor lacks fails the retry saying which.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { delegate } from '../../src/ops/delegate.js';
import type { JsonObject } from '../../src/util/json.js';
import { waitFor } from '../helpers/worker-harness.js';
import { exitOf, newRun, records, removeRuns, spawnSupervise } from './harness.js';

// Prints its environment, fails the first time, succeeds the second.
const SCRIPT = 'echo "setting=$MY_SETTING token_chars=${#MY_TOKEN} lang=$LANG"; if [ -f attempted ]; then exit 0; fi; touch attempted; exit 1';

const outputs = (runDir: string): string[] =>
  readdirSync(join(runDir, 'raw-events')).filter((f) => f.endsWith('.jsonl')).sort().map((f) => readFileSync(join(runDir, 'raw-events', f), 'utf8').trim());

describe('retry environment', () => {
  after(removeRuns);

  it('the retry gets the first launch\'s --env values and LANG, and secrets only from the environment, never from disk', async () => {
    const ctx = newRun('retry env');
    const supervisor = spawnSupervise(ctx, [], { MY_TOKEN: 's3cret', LANG: 'C.UTF-8-supervisor', MY_SETTING: 'supervisor-value' });
    try {
      const originalLang = process.env.LANG;
      process.env.LANG = 'C.UTF-8-first';
      try {
        await delegate(ctx, { kind: 'command', argv: ['sh', '-c', SCRIPT], cwd: ctx.runDir, env: { MY_SETTING: 'blue', MY_TOKEN: 's3cret' } });
      } finally {
        if (originalLang === undefined) delete process.env.LANG;
        else process.env.LANG = originalLang;
      }
      await waitFor(() => records(ctx).some((r) => (r.child_agent as JsonObject).status === 'completed'), 'the retry to complete', 20_000);
      assert.deepEqual(outputs(ctx.runDir).map((o) => o.split('\n')[0]), ['setting=blue token_chars=6 lang=C.UTF-8-first', 'setting=blue token_chars=6 lang=C.UTF-8-first']);
      for (const file of readdirSync(join(ctx.runDir, 'delegations')).filter((f) => f.endsWith('.json'))) {
        assert.doesNotMatch(readFileSync(join(ctx.runDir, 'delegations', file), 'utf8'), /s3cret/, `${file} holds no secret`);
      }
    } finally {
      supervisor.kill('SIGTERM');
      await exitOf(supervisor);
    }
  });

  it('a secret the retrying supervisor lacks: the retry fails with spawn_failed naming it, and is not retried again', async () => {
    const ctx = newRun('retry env missing');
    const supervisor = spawnSupervise(ctx, [], {});
    try {
      await delegate(ctx, { kind: 'command', argv: ['sh', '-c', SCRIPT], cwd: ctx.runDir, env: { MY_TOKEN: 's3cret' } });
      await waitFor(() => records(ctx).some((r) => (r.worker_result as JsonObject | undefined)?.failure_reason === 'spawn_failed'), 'the retry to fail at launch', 20_000);
      const failed = records(ctx).find((r) => (r.worker_result as JsonObject | undefined)?.failure_reason === 'spawn_failed');
      assert.match(String(failed?.result_summary), /MY_TOKEN .* lacks it/);
      assert.equal(records(ctx).length, 2, 'a spawn failure is not retried');
    } finally {
      supervisor.kill('SIGTERM');
      await exitOf(supervisor);
    }
  });
});
