/** Hooks given to `captain mcp` (`--hook` and a `[[hooks]]` config) fire from the supervisors the server starts. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CLI } from '../helpers/cli.js';
import { fixturePath, waitFor } from '../helpers/worker-harness.js';

const RECORD_HOOK = fileURLToPath(new URL('../fixtures/hooks/record-hook.mjs', import.meta.url));
const lines = (path: string): Array<Record<string, unknown>> =>
  existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) : [];

describe('captain mcp hooks', () => {
  const workspace = mkdtempSync(join(tmpdir(), 'captain-mcp-hooks-'));
  after(() => rmSync(workspace, { recursive: true, force: true }));

  it('a failing worker started over MCP fires the --hook and the config hook once each', async () => {
    const fromFlag = join(workspace, 'flag.jsonl');
    const fromConfig = join(workspace, 'config.jsonl');
    const config = join(workspace, 'captain.toml');
    writeFileSync(config, `worker_max_retries_per_phase = 0\n[[hooks]]\nname = "cfg"\nevents = ["worker_failed"]\ncommand = ${JSON.stringify([process.execPath, RECORD_HOOK, fromConfig])}\n`);
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, 'mcp', '--workspace', workspace, '--config', config, '--hook', `worker_failed=${JSON.stringify([process.execPath, RECORD_HOOK, fromFlag])}`],
      stderr: 'pipe',
      env: { ...process.env, XDG_CONFIG_HOME: join(workspace, 'no-user-config') } as Record<string, string>,
    });
    const client = new Client({ name: 'captain-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      const run = (await client.callTool({ name: 'captain_start_run', arguments: { title: 'hooks over mcp' } })).structuredContent as { run_dir: string };
      const delegated = (await client.callTool({ name: 'captain_delegate', arguments: { run_dir: run.run_dir, kind: 'command', argv: [process.execPath, fixturePath('crash.mjs')] } })).structuredContent as { delegation_id: string };
      await waitFor(() => lines(fromFlag).length >= 1 && lines(fromConfig).length >= 1, 'both hooks ran', 15_000);
      await new Promise((r) => setTimeout(r, 500));
      for (const out of [fromFlag, fromConfig]) {
        const got = lines(out);
        assert.equal(got.length, 1, `${out}: once`);
        assert.equal(got[0]!.event, 'worker_failed');
        assert.equal(got[0]!.delegation_id, delegated.delegation_id);
      }
    } finally {
      await client.close();
    }
  });
});
