/**
 * The hook dispatcher against real runs and real hook processes: each hook fires exactly once per
 * event across restarts and SIGKILLs, a hung hook is killed at its timeout, webhooks are signed
 * and retried with one delivery id, and a hook added later does not replay history.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HookDefinition } from '../../src/hooks/config.js';
import { createHookDispatcher } from '../../src/hooks/dispatcher.js';
import { deliveryFiles } from '../../src/hooks/ledger.js';
import { createRun } from '../../src/ops/runs.js';
import { appendRunEvent } from '../../src/store/events-log.js';
import { waitFor } from '../helpers/worker-harness.js';

const RECORD_HOOK = fileURLToPath(new URL('../fixtures/hooks/record-hook.mjs', import.meta.url));
const roots: string[] = [];
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

const newRun = (): { runDir: string; out: string } => {
  const root = mkdtempSync(join(tmpdir(), 'captain-hooks-'));
  roots.push(root);
  return { runDir: createRun({ runDir: join(root, 'run'), title: 'hooks' }).run_dir, out: join(root, 'hook-calls.jsonl') };
};

const commandHook = (out: string, extra: Partial<HookDefinition> & { delayMs?: number } = {}): HookDefinition => ({
  id: 'rec',
  events: ['worker_failed', 'fan_in_collapsed'],
  action: { type: 'command', argv: [process.execPath, RECORD_HOOK, out, String(extra.delayMs ?? 0)] },
  timeoutMs: 10_000,
  source: 'test',
  ...extra,
});

const calls = (out: string): Array<Record<string, unknown>> =>
  existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) : [];

const failed = (runDir: string, id: string): number =>
  appendRunEvent(runDir, { event: 'worker_transition', at: new Date().toISOString(), delegation_id: id, task_card_id: 'c1', from: 'running_active', to: 'failed', summary: `${id} broke` });

describe('hook dispatcher', () => {
  it('fires a command hook once per event with the payload on stdin; a restarted dispatcher fires nothing again', async () => {
    const { runDir, out } = newRun();
    const hook = commandHook(out);
    const first = createHookDispatcher(runDir, [hook], { runId: 'run-x' });
    first.poll();
    failed(runDir, 'd1');
    appendRunEvent(runDir, { event: 'worker_transition', at: new Date().toISOString(), delegation_id: 'd2', from: 'running_active', to: 'returned' });
    const fanIn = appendRunEvent(runDir, { event: 'fan_in_collapsed', at: new Date().toISOString(), task_card_id: 'c1', completed: 1, failed: 1 });
    first.poll();
    first.poll();
    await first.settled();
    first.close();
    // The two hook processes run concurrently: their lines may come in either order.
    const got = calls(out).sort((a, b) => String(b.event).localeCompare(String(a.event)));
    assert.deepEqual(got.map((c) => c.event), ['worker_failed', 'fan_in_collapsed']);
    assert.equal(got[0]!.delegation_id, 'd1');
    assert.equal(got[0]!.summary, 'd1 broke');
    assert.equal(got[0]!.state, 'failed');
    assert.equal(got[0]!.run_id, 'run-x');
    assert.equal(got[1]!.delivery_id, `run-x:rec:${fanIn}`);
    const done = JSON.parse(readFileSync(deliveryFiles(runDir, 'rec', fanIn).done, 'utf8')) as Record<string, unknown>;
    assert.equal(done.outcome, 'delivered');

    const second = createHookDispatcher(runDir, [hook], { runId: 'run-x' });
    second.poll();
    await second.settled();
    second.close();
    assert.equal(calls(out).length, 2, 'a restart re-reads the log and fires nothing twice');
  });

  it('a hook added to a run later fires only for events after it was added', async () => {
    const { runDir, out } = newRun();
    failed(runDir, 'old');
    const d = createHookDispatcher(runDir, [commandHook(out)]);
    d.poll();
    failed(runDir, 'new');
    d.poll();
    await d.settled();
    d.close();
    assert.deepEqual(calls(out).map((c) => c.delegation_id), ['new']);
  });

  it('a dispatcher SIGKILLed between claiming and starting the hook, or while the hook runs: the next one fires it exactly once', async () => {
    for (const point of ['hook_claimed', 'hook_started']) {
      const { runDir, out } = newRun();
      const hook = commandHook(out, { delayMs: 600 });
      // Register the hook on the run (its `since`), then an event arrives.
      createHookDispatcher(runDir, [hook]).poll();
      const at = failed(runDir, 'd1');
      const script = `
        import { createHookDispatcher } from ${JSON.stringify(new URL('../../src/hooks/dispatcher.ts', import.meta.url).href)};
        createHookDispatcher(${JSON.stringify(runDir)}, [${JSON.stringify(hook)}]).poll();
        setTimeout(() => {}, 5000);`;
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: 'ignore', env: { ...process.env, CAPTAIN_SUPERVISOR_CRASH_AT: point } });
      const signal = await new Promise((resolve) => child.once('exit', (_c, s) => resolve(s)));
      assert.equal(signal, 'SIGKILL', `the dispatcher died at ${point}`);
      const files = deliveryFiles(runDir, 'rec', at);
      assert.ok(existsSync(files.claim), 'the delivery was claimed');
      assert.equal(existsSync(files.started), point === 'hook_started' || existsSync(files.started));
      const next = createHookDispatcher(runDir, [hook]);
      next.poll();
      await next.settled();
      next.close();
      await waitFor(() => calls(out).length >= 1, 'the hook ran', 5_000);
      await new Promise((r) => setTimeout(r, 800));
      assert.equal(calls(out).length, 1, `${point}: the hook ran exactly once`);
      assert.equal(readFileSync(`${out}.pids`, 'utf8').trim().split('\n').length, 1, `${point}: one hook process started`);
      assert.equal((JSON.parse(readFileSync(files.done, 'utf8')) as { outcome: string }).outcome, 'delivered');
    }
  });

  it('two dispatchers polling the same run at once start each hook once', async () => {
    const { runDir, out } = newRun();
    const hook = commandHook(out);
    const a = createHookDispatcher(runDir, [hook]);
    const b = createHookDispatcher(runDir, [hook]);
    a.poll();
    b.poll();
    for (let i = 0; i < 5; i++) failed(runDir, `d${i}`);
    a.poll();
    b.poll();
    await Promise.all([a.settled(), b.settled()]);
    a.close();
    b.close();
    assert.deepEqual(calls(out).map((c) => c.delegation_id).sort(), ['d0', 'd1', 'd2', 'd3', 'd4']);
  });

  it('a hung hook is killed at its timeout (its whole group) and recorded timed_out, without blocking poll', async () => {
    const { runDir, out } = newRun();
    const pidFile = join(runDir, 'hung.pid');
    const hook: HookDefinition = {
      id: 'hung',
      events: ['worker_failed'],
      action: { type: 'command', argv: ['sh', '-c', `sleep 60 & echo $! > ${pidFile}; wait`] },
      timeoutMs: 300,
      source: 'test',
    };
    const d = createHookDispatcher(runDir, [hook]);
    d.poll();
    const at = failed(runDir, 'd1');
    const started = Date.now();
    d.poll();
    assert.ok(Date.now() - started < 200, 'poll returns at once');
    await d.settled({ timeoutMs: 10_000 });
    d.close();
    const done = JSON.parse(readFileSync(deliveryFiles(runDir, 'hung', at).done, 'utf8')) as { outcome: string };
    assert.equal(done.outcome, 'timed_out');
    const sleeper = Number(readFileSync(pidFile, 'utf8'));
    await waitFor(() => !existsSync(`/proc/${sleeper}`) || readFileSync(`/proc/${sleeper}/stat`, 'utf8').split(') ')[1]!.startsWith('Z'), 'the hook\'s grandchild is gone', 5_000);
  });

  it('a failing hook command is recorded failed with its exit status and not run again', async () => {
    const { runDir } = newRun();
    const hook: HookDefinition = { id: 'bad', events: ['worker_failed'], action: { type: 'command', argv: ['sh', '-c', 'echo nope >&2; exit 3'] }, timeoutMs: 5_000, source: 'test' };
    const d = createHookDispatcher(runDir, [hook]);
    d.poll();
    const at = failed(runDir, 'd1');
    d.poll();
    await d.settled();
    d.close();
    const files = deliveryFiles(runDir, 'bad', at);
    const done = JSON.parse(readFileSync(files.done, 'utf8')) as { outcome: string; detail: string };
    assert.equal(done.outcome, 'failed');
    assert.match(done.detail, /exit status 3/);
    assert.match(readFileSync(files.log, 'utf8'), /nope/);
  });

  it('posts a signed webhook, retries a 500 with the same delivery id, and records it delivered', async () => {
    const { runDir } = newRun();
    const seen: Array<{ headers: IncomingMessage['headers']; body: string }> = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ headers: req.headers, body });
        res.statusCode = seen.length === 1 ? 500 : 200;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const hook: HookDefinition = { id: 'web', events: ['worker_failed'], action: { type: 'webhook', url, secret: 'k' }, timeoutMs: 2_000, source: 'test' };
      const d = createHookDispatcher(runDir, [hook], { runId: 'r1' });
      d.poll();
      const at = failed(runDir, 'd1');
      d.poll();
      await d.settled();
      d.close();
      assert.equal(seen.length, 2, 'one retry after the 500');
      for (const s of seen) {
        assert.equal(s.headers['x-captain-delivery'], `r1:web:${at}`);
        assert.equal(s.headers['x-captain-event'], 'worker_failed');
        assert.equal(s.headers['x-captain-signature-256'], `sha256=${createHmac('sha256', 'k').update(s.body).digest('hex')}`);
      }
      assert.equal((JSON.parse(seen[0]!.body) as { delegation_id: string }).delegation_id, 'd1');
      assert.equal((JSON.parse(readFileSync(deliveryFiles(runDir, 'web', at).done, 'utf8')) as { outcome: string }).outcome, 'delivered');
    } finally {
      server.close();
    }
  });

  it('notify hooks are skipped (recorded, not failed) when notify-send is not on PATH', async () => {
    const { runDir } = newRun();
    const d = createHookDispatcher(runDir, [{ id: 'n', events: ['worker_failed'], action: { type: 'notify' }, timeoutMs: 1_000, source: 'test' }], { pathValue: '/nonexistent' });
    d.poll();
    const at = failed(runDir, 'd1');
    d.poll();
    await d.settled();
    d.close();
    assert.equal((JSON.parse(readFileSync(deliveryFiles(runDir, 'n', at).done, 'utf8')) as { outcome: string }).outcome, 'skipped');
    assert.deepEqual(readdirSync(join(runDir, 'hooks', 'n')).filter((f) => f.endsWith('.started')), []);
  });

  it('notify hooks run notify-send (found on PATH) with a title and the summary', async () => {
    const { runDir, out } = newRun();
    const bin = join(runDir, '..', 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'notify-send'), `#!/bin/sh\nprintf '%s\\n' "$@" > ${JSON.stringify(out)}\n`, { mode: 0o755 });
    const d = createHookDispatcher(runDir, [{ id: 'n', events: ['worker_failed'], action: { type: 'notify' }, timeoutMs: 2_000, source: 'test' }], { pathValue: bin });
    d.poll();
    const at = failed(runDir, 'd1');
    d.poll();
    await d.settled();
    d.close();
    assert.deepEqual(readFileSync(out, 'utf8').trim().split('\n'), ['--app-name=captain', 'captain: worker failed (d1)', 'd1 broke']);
    assert.equal((JSON.parse(readFileSync(deliveryFiles(runDir, 'n', at).done, 'utf8')) as { outcome: string }).outcome, 'delivered');
  });

  it('never writes the ledger through a symlinked hooks folder out of the run', () => {
    const { runDir } = newRun();
    const outside = mkdtempSync(join(tmpdir(), 'captain-outside-'));
    roots.push(outside);
    symlinkSync(outside, join(runDir, 'hooks'));
    const errors: unknown[] = [];
    const d = createHookDispatcher(runDir, [{ id: 'x', events: ['worker_failed'], action: { type: 'command', argv: ['true'] }, timeoutMs: 1_000, source: 'test' }], { onError: (e) => errors.push(e) });
    d.poll();
    d.close();
    assert.deepEqual(readdirSync(outside), []);
    assert.match(String(errors[0]), /outside the run directory/);
  });
});
