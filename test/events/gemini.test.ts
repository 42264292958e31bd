/** Gemini CLI stream rules beyond the recorded samples. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildCompletionSnapshot, foldStreamText, parseLine, renderEventLine, type ExitInfo } from '../../src/events/index.js';
import { geminiEvents } from '../../src/kinds/gemini/index.js';
import { COMPLETED_AT, loadStream } from './helpers.js';

const jsonl = (...values: unknown[]): string => values.map((value) => JSON.stringify(value)).join('\n') + '\n';
const snap = (text: string, exit: ExitInfo | null) =>
  buildCompletionSnapshot({ kind: 'gemini', text: { head: text, tail: '', whole: true, size: Buffer.byteLength(text) }, exit, completedAt: COMPLETED_AT });

const INIT = { type: 'init', session_id: 'g-1', model: 'gemini-2.5-pro' };
const SAY = (content: string) => ({ type: 'message', role: 'assistant', content, delta: true });
const STATS = {
  total_tokens: 130,
  input_tokens: 100,
  output_tokens: 20,
  cached: 40,
  input: 60,
  duration_ms: 5,
  tool_calls: 1,
  models: { 'gemini-2.5-pro': { total_tokens: 130, input_tokens: 100, output_tokens: 20, cached: 40, input: 60 } },
};
const RESULT = (fields: Record<string, unknown> = {}) => ({ type: 'result', status: 'success', stats: STATS, ...fields });
const OK: ExitInfo = { code: 0, signal: null };

describe('gemini events', () => {
  it('types every line and never throws on malformed ones', () => {
    const events = (value: unknown) => geminiEvents(parseLine(JSON.stringify(value)));
    assert.deepEqual(events(INIT), [{ type: 'session_started', sessionId: 'g-1', model: 'gemini-2.5-pro', cwd: null }]);
    assert.deepEqual(events({ type: 'tool_use', tool_name: 'run_shell_command', tool_id: 't1', parameters: { command: 'ls' } }), [
      { type: 'tool_use', id: 't1', name: 'run_shell_command', input: { command: 'ls' } },
    ]);
    assert.deepEqual(events({ type: 'tool_result', tool_id: 't1', status: 'error', output: 'x', error: { type: 'e', message: 'denied' } }), [
      { type: 'tool_result', toolUseId: 't1', isError: true, content: 'denied' },
    ]);
    assert.deepEqual(events({ type: 'error', severity: 'warning', message: 'Loop detected' }), [{ type: 'error', message: 'Loop detected', status: null }]);
    assert.equal(events({ type: 'init' })[0]?.type, 'unknown');
    assert.equal(events({ type: 'result', status: 7 })[0]?.type, 'unknown');
    assert.deepEqual(events({ type: 'later_event' }), [{ type: 'progress', eventType: 'later_event' }]);
    assert.deepEqual(geminiEvents(parseLine('plain text')), [{ type: 'output', text: 'plain text' }]);
  });

  it('normalizes usage: uncached input, cached, output, thoughts, and per-model counts', () => {
    const [event] = geminiEvents(parseLine(JSON.stringify(RESULT({ stats: { ...STATS, total_tokens: 135 } }))));
    assert.equal(event?.type, 'result');
    assert.deepEqual(event?.type === 'result' ? event.usage : null, {
      input_tokens: 60,
      cached_input_tokens: 40,
      output_tokens: 20,
      reasoning_output_tokens: 15,
      total_tokens: 135,
      models: { 'gemini-2.5-pro': { input_tokens: 60, cached_input_tokens: 40, output_tokens: 20, reasoning_output_tokens: 10, total_tokens: 130 } },
    });
  });
});

describe('gemini completion snapshot', () => {
  it('joins the deltas of the last assistant turn; a tool call starts a new message', () => {
    const text = jsonl(INIT, SAY('Let me '), SAY('look.'), { type: 'tool_use', tool_name: 'glob', tool_id: 't', parameters: {} }, SAY('Found '), SAY('it.'), RESULT());
    const result = snap(text, OK);
    assert.equal(result.status, 'completed');
    assert.equal(result.worker_result.final_message, 'Found it.');
    assert.equal(result.worker_result.session_id, 'g-1');
    assert.equal(result.worker_result.model, 'gemini-2.5-pro');
    assert.equal(result.worker_result.terminal_event, 'result');
  });

  it('an error result fails with its message, even when the exit status reads as a signal', () => {
    const text = jsonl(INIT, RESULT({ status: 'error', error: { type: 'FatalTurnLimitedError', message: 'Reached max session turns' } }));
    // 400 & 0xff = 144 = 128 + SIGSTKFLT through a shell.
    const result = snap(text, { code: null, signal: 'SIGSTKFLT' });
    assert.equal(result.status, 'failed');
    assert.equal(result.worker_result.failure_reason, 'execution_failed');
    assert.match(result.summary, /^Gemini CLI reported an error: Reached max session turns terminal_event=result error_type=FatalTurnLimitedError signal=SIGSTKFLT/);
  });

  it('a signal without an error result is killed_by_signal; a success then exit 1 is execution_failed', () => {
    assert.equal(snap(jsonl(INIT, SAY('hi')), { code: null, signal: 'SIGKILL' }).worker_result.failure_reason, 'killed_by_signal');
    assert.equal(snap(jsonl(INIT, SAY('hi'), RESULT()), { code: 1, signal: null }).worker_result.failure_reason, 'execution_failed');
  });

  it('no result line is no_terminal_event even with exit 0 (Gemini exits 0 on SIGTERM), quoting the last error', () => {
    const result = snap(jsonl(INIT, SAY('hi'), { type: 'error', severity: 'error', message: 'quota' }), OK);
    assert.equal(result.worker_result.failure_reason, 'no_terminal_event');
    assert.match(result.summary, /last_error="quota"/);
  });
});

describe('gemini live folding', () => {
  it('agrees with the snapshot on the recorded steps stream and renders tool lines', () => {
    const stream = loadStream('gemini-steps');
    const { events, state } = foldStreamText('gemini', stream.text);
    assert.equal(state.terminalEvent, 'result');
    assert.equal(state.sessionId, 'c61c3ca6-8600-4450-a039-ef5d6bf957ba');
    assert.equal(state.lastMessage, 'FAKE_OK finished 3 steps');
    assert.equal(state.toolCalls, 3);
    assert.equal(state.unknownEvents, 0);
    const lines = events.map((event) => renderEventLine('gemini', event)).filter((line) => line !== null);
    assert.ok(lines.includes('tool run_shell_command: echo step 1 of 3'), lines.join('\n'));
    assert.ok(lines.includes('tool result: step 3 of 3'), lines.join('\n'));
  });
});
