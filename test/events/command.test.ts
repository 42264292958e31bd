/** Plain commands as workers, run as real child processes whose stdout goes to a raw events file. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createStreamFolder, findTerminalEventSync, snapshotFromRawEventsFileSync, type ExitInfo } from '../../src/events/index.js';
import { COMPLETED_AT, makeTempDir } from './helpers.js';

/** Runs `node -e script` with stdout into `file`; resolves with how it ended. */
const runToFile = (script: string, file: string, killWith?: NodeJS.Signals): Promise<ExitInfo> =>
  new Promise((resolve, reject) => {
    const out = fs.openSync(file, 'w');
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', out, 'ignore'] });
    fs.closeSync(out);
    child.on('error', reject);
    if (killWith) {
      // Kill once the child has written its first line.
      const poll = setInterval(() => {
        if (fs.statSync(file).size > 0) {
          clearInterval(poll);
          child.kill(killWith);
        }
      }, 10);
    }
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });

describe('command workers', () => {
  let dir = '';
  let cleanup = (): void => {};
  before(() => ({ dir, cleanup } = makeTempDir()));
  after(() => cleanup());

  it('exit 0 completes; the summary is the last non-empty line', async () => {
    const file = path.join(dir, 'ok.log');
    const exit = await runToFile("console.log('building'); console.log('{\"json\": \"is just output\"}'); console.log('built 3 targets'); console.log('  ');", file);
    assert.deepEqual(exit, { code: 0, signal: null });
    const snap = snapshotFromRawEventsFileSync(file, 'command', exit, COMPLETED_AT);
    assert.equal(snap.status, 'completed');
    assert.equal(snap.summary, 'built 3 targets');
    assert.equal(snap.worker_result.final_message, 'built 3 targets');
    assert.equal(snap.worker_result.output_lines, 3);
    assert.equal(snap.worker_result.terminal_event, null);
    assert.equal(findTerminalEventSync(file, 'command'), null);
  });

  it('a non-zero exit fails with execution_failed and quotes the last line', async () => {
    const file = path.join(dir, 'fail.log');
    const exit = await runToFile("console.log('step 1'); console.log('error: missing input'); process.exit(3);", file);
    assert.deepEqual(exit, { code: 3, signal: null });
    const snap = snapshotFromRawEventsFileSync(file, 'command', exit, COMPLETED_AT);
    assert.equal(snap.status, 'failed');
    assert.equal(snap.latest_failure?.reason, 'execution_failed');
    assert.ok(snap.summary.startsWith('Command exited with code 3: error: missing input exit_code=3 raw_events_bytes='), snap.summary);
  });

  it('a process killed by a signal fails with killed_by_signal', async () => {
    const file = path.join(dir, 'killed.log');
    const exit = await runToFile("console.log('started'); setInterval(() => {}, 1000);", file, 'SIGTERM');
    assert.deepEqual(exit, { code: null, signal: 'SIGTERM' });
    const snap = snapshotFromRawEventsFileSync(file, 'command', exit, COMPLETED_AT);
    assert.equal(snap.latest_failure?.reason, 'killed_by_signal');
    assert.ok(snap.summary.startsWith('Worker was killed by SIGTERM. signal=SIGTERM'), snap.summary);
  });

  it('without an exit status a command cannot be judged: failed, unknown', () => {
    const file = path.join(dir, 'unknown.log');
    fs.writeFileSync(file, 'done\n');
    const snap = snapshotFromRawEventsFileSync(file, 'command', null, COMPLETED_AT);
    assert.equal(snap.latest_failure?.reason, 'unknown');
  });

  it('every output line is a progress event in the live folder', () => {
    const folder = createStreamFolder('command');
    const events = folder.push('one\n\ntwo\nthr', 5);
    assert.deepEqual(events, [
      { type: 'output', text: 'one' },
      { type: 'output', text: 'two' },
    ]);
    assert.deepEqual(folder.flush(6), [{ type: 'output', text: 'thr' }]);
    const state = folder.state();
    assert.equal(state.lines, 4);
    assert.equal(state.lastMessage, 'thr');
    assert.equal(state.lastEventAtMs, 6);
  });
});
