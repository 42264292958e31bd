/**
 * The README's first command: `captain demo` drives four real `codex exec` workers to fan-in,
 * including the two retries, which must really run (the retry launch restores the environment
 * of the first, secrets included).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCaptain } from '../helpers/cli.js';

describe('captain demo', () => {
  const root = mkdtempSync(join(tmpdir(), 'captain-demo-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('runs to fan-in; both retries run codex again', { timeout: 120_000 }, () => {
    const result = runCaptain(['demo', '--runs-dir', root], { timeoutMs: 110_000 });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /fan-in \(.*\): Captain collapsed explicit fan-in after terminal worker results \(2 completed, 4 failed, 0 cancelled\)/);
    assert.match(result.stdout, /model error \(retry\)\s+Codex turn failed/);
    assert.match(result.stdout, /hangs, gets reclaimed \(retry\)\s+Worker process \d+ exceeded the bounded timeout/);
    assert.doesNotMatch(result.stdout, /could not be started/);
  });
});
