/** The README's Claude Code configuration, run for real: `claude mcp add` then `claude mcp list` connects to `captain mcp`. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveClaudeBin } from '../../src/fake-model/worker-env.js';
import { CLI } from '../helpers/cli.js';

describe('Claude Code configured with captain mcp', () => {
  const configDir = mkdtempSync(join(tmpdir(), 'captain-claude-config-'));
  const workspace = mkdtempSync(join(tmpdir(), 'captain-claude-ws-'));
  after(() => {
    rmSync(configDir, { recursive: true, force: true });
    rmSync(workspace, { recursive: true, force: true });
  });
  const claude = (args: string[]) =>
    spawnSync(resolveClaudeBin().command, args, {
      cwd: workspace,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, CLAUDE_CONFIG_DIR: configDir, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_TELEMETRY: '1', DISABLE_ERROR_REPORTING: '1', DISABLE_AUTOUPDATER: '1' },
    });

  it('claude mcp add captain -- node dist/bin/captain.js mcp --workspace . ; claude mcp list shows it connected', () => {
    const add = claude(['mcp', 'add', 'captain', '--', process.execPath, CLI, 'mcp', '--workspace', workspace]);
    assert.equal(add.status, 0, add.stderr);
    const list = claude(['mcp', 'list']);
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, /captain: .*mcp --workspace .* - ✔ Connected/);
  });
});
