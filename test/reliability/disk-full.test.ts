/**
 * Reliability: a run directory on a full disk (a real 256 KiB tmpfs). Every write path fails with
 * a clear error, and no existing record is corrupted or lost: status (a refresh that wants to write),
 * cancel, fan-in, delegate, and a supervisor pass. Skipped only where a tmpfs cannot be mounted.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cancelDelegation } from '../../src/ops/worker.js';
import { collapseFanIn } from '../../src/ops/fan-in.js';
import { delegate } from '../../src/ops/delegate.js';
import { createRun } from '../../src/ops/runs.js';
import { getStatus } from '../../src/ops/status.js';
import { openRunContext } from '../../src/ops/context.js';
import { DEFAULT_RUNTIME_CONFIG } from '../../src/config/defaults.js';
import { startSupervisor } from '../../src/supervisor/supervisor.js';
import { describeError } from '../../src/errors.js';
import { formatRfc3339 } from '../../src/util/time.js';
import { runningDelegation } from '../helpers/records.js';
import { fillDisk } from '../helpers/disk.js';


describe('reliability: a full disk', () => {
  const mount = mkdtempSync(join(tmpdir(), 'captain-full-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mount]);
  after(() => {
    if (mounted.status === 0) spawnSync('umount', ['-l', mount]);
    rmSync(mount, { recursive: true, force: true });
  });

  it('every write fails with a clear error; no record is corrupted or lost', { skip: mounted.status !== 0 ? `cannot mount a tmpfs here (${mounted.stderr.toString().trim()})` : false }, async () => {
    const run = createRun({ runDir: join(mount, 'run'), title: 'full disk' });
    const ctx = openRunContext(run.run_dir, { ...DEFAULT_RUNTIME_CONFIG, worker_kill_grace_ms: 50 });
    const delegations = join(run.run_dir, 'delegations');
    const write = (record: ReturnType<typeof runningDelegation>): void => {
      const fd = openSync(join(delegations, `${String(record.delegation_id)}.json`), 'w');
      writeSync(fd, JSON.stringify({ ...record, task_card_id: run.task_card_id }, null, 2));
      closeSync(fd);
    };
    spawnSync('mkdir', ['-p', delegations, join(run.run_dir, 'raw-events')]);
    for (let i = 0; i < 5; i += 1) write(runningDelegation(`w${i}`, { lifecycle: { last_progress_at: formatRfc3339(Date.now() - 1_000) } }));
    write(runningDelegation('done', { child: { status: 'completed' } }));
    // Raw events that moved past last_progress_at: the refresh will want to write every running record.
    for (let i = 0; i < 5; i += 1) {
      const raw = join(run.run_dir, 'raw-events', `w${i}.jsonl`);
      const fd = openSync(raw, 'w');
      writeSync(fd, '{"type":"thread.started","thread_id":"t"}\n');
      closeSync(fd);
      utimesSync(raw, new Date(), new Date());
    }
    const snapshot = (): Map<string, string> => new Map(readdirSync(delegations).filter((f) => f.endsWith('.json')).map((f) => [f, readFileSync(join(delegations, f), 'utf8')]));
    const before = snapshot();
    const filler = fillDisk(mount);

    const status = getStatus(ctx); // the refresh cannot write: reported, not thrown
    assert.ok(status.errors.length > 0, 'the failed refresh writes are reported');
    for (const e of status.errors) assert.match(e.reason, /ENOSPC|no space|could not write|disk/i, e.reason);
    const outcomes: string[] = [];
    for (const attempt of [
      () => cancelDelegation(ctx, 'w0'),
      () => collapseFanIn(ctx),
      () => delegate(ctx, { kind: 'command', argv: ['sh', '-c', 'true'], cwd: run.run_dir }),
    ]) {
      try {
        await attempt();
        outcomes.push('ok');
      } catch (error) {
        outcomes.push(describeError(error));
      }
    }
    for (const outcome of outcomes) if (outcome !== 'ok') assert.match(outcome, /ENOSPC|no space|could not|disk/i, outcome);
    const supervisor = await startSupervisor(ctx, {}).catch((error: unknown) => error);
    if (!(supervisor instanceof Error)) await (supervisor as { stop(): Promise<void> }).stop();

    // Every record that existed is still there and parses; nothing was truncated or emptied.
    const after = snapshot();
    for (const [file, text] of before) {
      assert.ok(after.has(file), `${file} still exists`);
      const now = after.get(file)!;
      assert.doesNotThrow(() => JSON.parse(now), `${file} still parses`);
      if (now !== text) assert.doesNotThrow(() => JSON.parse(text));
    }
    unlinkSync(filler);
    process.stdout.write(`reliability: full disk: ${before.size} records kept intact; outcomes: ${outcomes.map((o) => (o === 'ok' ? 'ok' : o.slice(0, 60))).join(' | ')}\n`);
  });
});
