/**
 * A reader that goes away (`captain status --json | head -c 100`) ends the command quietly: exit 0,
 * nothing on stderr (before: an unhandled EPIPE, a stack trace and exit 1).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../helpers/cli.js';
import { runningDelegation } from '../helpers/records.js';

const temp = mkdtempSync(join(tmpdir(), 'captain-closed-pipe-'));
after(() => rmSync(temp, { recursive: true, force: true }));

describe('a closed stdout', () => {
  it('ends status --json and the text view quietly, exit 0', async () => {
    const runDir = join(temp, 'run');
    mkdirSync(join(runDir, 'delegations'), { recursive: true });
    writeFileSync(join(runDir, 'run.json'), JSON.stringify({ run_id: 'r', active_task_card_id: 'card-1' }));
    // ~1 MB of output: far more than a pipe holds.
    for (let i = 0; i < 500; i += 1) {
      const id = `d${String(i).padStart(4, '0')}`;
      writeFileSync(join(runDir, 'delegations', `${id}.json`), JSON.stringify(runningDelegation(id, { child: { status: 'completed' } })));
    }
    for (const args of [['--json'], []]) {
      const child = spawn(process.execPath, [CLI, 'status', '--run-dir', runDir, '--snapshot', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      // Read one chunk, then go away.
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      child.stdout.destroy();
      const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      assert.equal(stderr, '', `status ${args.join(' ')}: nothing on stderr`);
      assert.equal(code, 0, `status ${args.join(' ')}: exit 0`);
    }
  });
});
