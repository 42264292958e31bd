import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { delegateCommand } from '../../src/cli/commands/delegate.js';
import { replaceDerivedTables } from '../../src/docs/readme-tables.js';
import { agentKinds, allKindSpecs, isWorkerKind, kindSpec } from '../../src/kinds/registry.js';
import { WORKER_KINDS } from '../../src/lifecycle/kinds.js';
import { preflightLaunch } from '../../src/ops/preflight.js';
import { buildWorkerCommand } from '../../src/workers/adapters.js';
import { captureLaunchEnv } from '../../src/workers/launch-env.js';

describe('worker kind registry', () => {
  it('has one spec per WORKER_KINDS entry, named after it, with a distinct --<kind>-bin per agent kind', () => {
    assert.deepEqual(allKindSpecs().map((spec) => spec.name), [...WORKER_KINDS]);
    for (const kind of WORKER_KINDS) assert.equal(kindSpec(kind).name, kind);
    assert.deepEqual(agentKinds().map((spec) => spec.binary.flag), ['--codex-bin', '--claude-bin', '--gemini-bin']);
    assert.ok(isWorkerKind('gemini') && !isWorkerKind('opencode') && !isWorkerKind(undefined));
  });

  it('the CLI offers every kind and every --<kind>-bin from the registry', () => {
    const command = delegateCommand();
    const kind = command.options.find((option) => option.long === '--kind');
    assert.deepEqual(kind?.argChoices, [...WORKER_KINDS]);
    for (const spec of agentKinds()) assert.ok(command.options.some((option) => option.long === spec.binary.flag), spec.binary.flag);
  });

  it('README tables are the registry and price table as they are now', () => {
    const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
    assert.equal(replaceDerivedTables(readme), readme, 'stale README tables: run `npx tsx scripts/update-readme-tables.ts`');
  });

  it('gemini: argv with the prompt in one argument, --gemini-bin, launch env and preflight hint', () => {
    const command = buildWorkerCommand({ kind: 'gemini', prompt: '--not-a-flag', cwd: '/w', bin: '/opt/gemini', argv: ['--approval-mode', 'yolo'] });
    assert.deepEqual(command, {
      file: '/opt/gemini',
      args: ['--prompt=--not-a-flag', '--output-format', 'stream-json', '--skip-trust', '--approval-mode', 'yolo'],
      env: {},
    });
    assert.throws(() => buildWorkerCommand({ kind: 'gemini', cwd: '/w', bin: '/opt/gemini' }), /--kind gemini needs --prompt/);
    assert.deepEqual(captureLaunchEnv('gemini', { GEMINI_API_KEY: 'k', GOOGLE_GEMINI_BASE_URL: 'http://127.0.0.1:1', OPENAI_API_KEY: 'o', PATH: '/bin' }), {
      GEMINI_API_KEY: '[redacted]',
      GOOGLE_GEMINI_BASE_URL: 'http://127.0.0.1:1',
      PATH: '/bin',
    });
    assert.throws(() => preflightLaunch({ kind: 'gemini', file: 'no-such-gemini-cli', cwd: '/', path: '/nonexistent' }), /pass --gemini-bin PATH/);
  });

  it('codex and claude argv are unchanged', () => {
    assert.deepEqual(buildWorkerCommand({ kind: 'codex', prompt: 'p', cwd: '/w', bin: 'codex', sandbox: 'read-only', argv: ['-m', 'gpt-5'] }).args, [
      'exec', '--json', '--skip-git-repo-check', '-C', '/w', '-s', 'read-only', '-m', 'gpt-5', '--', 'p',
    ]);
    assert.deepEqual(buildWorkerCommand({ kind: 'claude', prompt: 'p', cwd: '/w', bin: 'claude', argv: ['--model', 'x'] }).args, [
      '-p', 'p', '--output-format', 'stream-json', '--verbose', '--model', 'x',
    ]);
    assert.throws(() => buildWorkerCommand({ kind: 'codex', prompt: 'p', cwd: '/w', bin: 'codex', sandbox: 'yolo' }), /--sandbox yolo: expected one of/);
    assert.deepEqual(buildWorkerCommand({ kind: 'command', cwd: '/w', argv: ['node', 'x.js'] }), { file: 'node', args: ['x.js'], env: {} });
  });
});
