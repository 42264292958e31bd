/** The MCP server's supervisors honour the server's hooks (onEvent), and a run someone else supervises is left alone. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { McpRuns } from '../../src/mcp/context.js';
import type { RunEvent } from '../../src/store/events-log.js';
import { currentHolder, startSupervisor } from '../../src/supervisor/index.js';
import { sleep, waitFor } from '../helpers/worker-harness.js';
import { CONFIG, fixture, newRun, removeRuns } from '../supervisor/harness.js';

describe('MCP server supervisors', () => {
  after(removeRuns);

  it('supervise a touched run with the server\'s onEvent; leave a held run alone', async () => {
    const ctx = newRun('mcp-hooks');
    await fixture(ctx, 'emit-jsonl.mjs', ['2', '50']);
    const events: RunEvent[] = [];
    const runs = new McpRuns({ config: CONFIG, onEvent: (e) => events.push(e) });
    try {
      await runs.open(ctx.runDir);
      assert.match(currentHolder(ctx.runDir)?.command ?? '', /^captain mcp/);
      await waitFor(() => events.some((e) => e.event === 'fan_in_collapsed'), 'fan-in through the server\'s supervisor', 15_000);
      assert.ok(events.some((e) => e.event === 'worker_transition'));
    } finally {
      await runs.close();
    }
    assert.equal(currentHolder(ctx.runDir), null);

    const held = newRun('mcp-held');
    const holder = await startSupervisor(held, { command: 'someone else' });
    const quiet: RunEvent[] = [];
    const other = new McpRuns({ config: CONFIG, onEvent: (e) => quiet.push(e) });
    try {
      await other.open(held.runDir);
      assert.equal(other.supervisors.size, 0);
      assert.equal(currentHolder(held.runDir)?.command, 'someone else');
      await sleep(100);
      assert.deepEqual(quiet, []);
    } finally {
      await other.close();
      await holder.stop();
    }
  });
});
