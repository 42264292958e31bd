/** The CLI a follow-up runs: the earlier worker's recorded command minus the arguments captain built for it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { recordedLauncher, sessionIdOf } from '../../src/ops/follow-up.js';

const record = (kind: string, command: string[], request: Record<string, unknown> = {}) => ({
  delegation_id: 'dlg-1',
  worker_request: { kind, prompt: 'hi', cwd: '/w', sandbox_mode: null, argv: [], ...request },
  worker_launch_evidence: { command },
});

describe('recordedLauncher', () => {
  it('strips the kind args (first launch) or the resume args (a follow-up), keeping the launcher and its own args', () => {
    assert.deepEqual(recordedLauncher(record('claude', ['/opt/node', '/opt/claude/cli.js', '-p', 'hi', '--output-format', 'stream-json', '--verbose'])), ['/opt/node', '/opt/claude/cli.js']);
    assert.deepEqual(
      recordedLauncher(record('codex', ['/bin/codex', 'exec', '--json', '--skip-git-repo-check', '-C', '/w', '-s', 'read-only', '-m', 'x', '--', 'hi'], { sandbox_mode: 'read-only', argv: ['-m', 'x'] })),
      ['/bin/codex'],
    );
    assert.deepEqual(
      recordedLauncher(record('codex', ['/bin/codex', 'exec', 'resume', '--json', '--skip-git-repo-check', '--', 'T1', 'hi'], { resume_session_id: 'T1' })),
      ['/bin/codex'],
    );
  });

  it('undefined when the command does not end with what captain built (an edited or upstream record), or for commands', () => {
    assert.equal(recordedLauncher(record('claude', ['/opt/claude', '-p', 'other prompt', '--output-format', 'stream-json', '--verbose'])), undefined);
    assert.equal(recordedLauncher(record('command', ['/bin/true'])), undefined);
    assert.equal(recordedLauncher({ worker_request: { kind: 'codex', prompt: 'hi' } }), undefined);
  });
});

describe('sessionIdOf', () => {
  it("codex's thread id or claude's / gemini's session id from the result", () => {
    assert.equal(sessionIdOf({ worker_result: { thread_id: 'T' } }), 'T');
    assert.equal(sessionIdOf({ worker_result: { session_id: 'S' } }), 'S');
    assert.equal(sessionIdOf({ worker_result: {} }), undefined);
  });
});
