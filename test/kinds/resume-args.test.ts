/** The resume argv each agent kind builds for `captain follow-up` (the command kind has none). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { codexResumeFlags } from '../../src/kinds/codex/resume.js';
import { kindSpec } from '../../src/kinds/registry.js';

describe('resumeArgs', () => {
  it('codex: exec resume with the sandbox as config, only the flags resume accepts, the session and prompt after --', () => {
    const args = kindSpec('codex').resumeArgs?.({ sessionId: 'T1', prompt: '-starts with a dash', sandbox: 'read-only', extra: ['-m', 'gpt-x', '--add-dir', '/x', '--full-auto', '-c', 'a=1', '--model=y'] });
    assert.deepEqual(args, ['exec', 'resume', '--json', '--skip-git-repo-check', '-c', 'sandbox_mode="read-only"', '-m', 'gpt-x', '-c', 'a=1', '--model=y', '--', 'T1', '-starts with a dash']);
    assert.deepEqual(codexResumeFlags(['-s', 'workspace-write', '--ignore-rules', '--color', 'never']), ['-c', 'sandbox_mode="workspace-write"', '--ignore-rules']);
  });

  it('claude and gemini: the same invocation with --resume SESSION and the extra flags kept', () => {
    assert.deepEqual(kindSpec('claude').resumeArgs?.({ sessionId: 'S', prompt: 'go', sandbox: undefined, extra: ['--allowedTools', 'Bash'] }), [
      '-p', 'go', '--resume', 'S', '--output-format', 'stream-json', '--verbose', '--allowedTools', 'Bash',
    ]);
    assert.deepEqual(kindSpec('gemini').resumeArgs?.({ sessionId: 'S', prompt: 'go', sandbox: undefined, extra: [] }), ['--prompt=go', '--resume', 'S', '--output-format', 'stream-json', '--skip-trust']);
  });

  it('command: no resume', () => {
    assert.equal(kindSpec('command').resumeArgs, undefined);
  });
});
