/** Claude Code stream rules beyond the recorded samples. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildCompletionSnapshot, claudeEvents, parseLine, type ExitInfo } from '../../src/events/index.js';
import { COMPLETED_AT, loadStream } from './helpers.js';

const jsonl = (...values: unknown[]): string => values.map((value) => JSON.stringify(value)).join('\n') + '\n';
const snap = (text: string, exit: ExitInfo | null) =>
  buildCompletionSnapshot({ kind: 'claude', text: { head: text, tail: '', whole: true, size: Buffer.byteLength(text) }, exit, completedAt: COMPLETED_AT });

const INIT = { type: 'system', subtype: 'init', session_id: 's-1', model: 'claude-x', cwd: '/w' };
const TEXT = (text: string) => ({ type: 'assistant', message: { role: 'assistant', content: [{ type: 'text', text }] }, session_id: 's-1' });
/** Real result lines put `type` near the end, after `duration_api_ms`. */
const RESULT = (fields: Record<string, unknown>) => ({
  duration_api_ms: 1,
  session_id: 's-1',
  total_cost_usd: 0.5,
  usage: { input_tokens: 3, output_tokens: 4 },
  num_turns: 2,
  terminal_reason: 'completed',
  is_error: false,
  subtype: 'success',
  api_error_status: null,
  result: 'final answer',
  type: 'result',
  ...fields,
});
const OK: ExitInfo = { code: 0, signal: null };

describe('claude completion snapshot', () => {
  it('the result line is found by parsing, not by its prefix', () => {
    const text = jsonl(INIT, TEXT('thinking aloud'), RESULT({}));
    assert.ok(text.split('\n')[2]?.startsWith('{"duration_api_ms"'));
    const result = snap(text, OK);
    assert.equal(result.status, 'completed');
    assert.equal(result.worker_result.final_message, 'final answer');
    assert.equal(result.worker_result.session_id, 's-1');
    assert.equal(result.worker_result.cost_usd, 0.5);
    assert.equal(result.worker_result.num_turns, 2);
    assert.equal(result.worker_result.terminal_event, 'result');
    assert.deepEqual(result.worker_result.total_token_usage, { input_tokens: 3, output_tokens: 4 });
  });

  it('is_error results fail with the error text and the API status in the summary', () => {
    const result = snap(jsonl(INIT, RESULT({ is_error: true, result: 'API Error: 529 overloaded', terminal_reason: 'api_error', api_error_status: 529 })), { code: 1, signal: null });
    assert.equal(result.latest_failure?.reason, 'execution_failed');
    assert.equal(
      result.summary,
      `Claude Code reported an error: API Error: 529 overloaded terminal_event=result terminal_reason=api_error api_error_status=529 exit_code=1 raw_events_bytes=${result.worker_result.raw_output_bytes}`,
    );
    assert.equal(result.worker_result.error_message, 'API Error: 529 overloaded');
    assert.equal(result.worker_result.final_message, null);
  });

  it('a success result followed by a non-zero exit fails; a signal is killed_by_signal', () => {
    assert.equal(snap(jsonl(INIT, RESULT({})), { code: 2, signal: null }).latest_failure?.reason, 'execution_failed');
    assert.equal(snap(jsonl(INIT, RESULT({})), { code: null, signal: 'SIGTERM' }).latest_failure?.reason, 'killed_by_signal');
  });

  it('no result line fails with no_terminal_event even after a message and exit 0 (SIGINT case)', () => {
    const result = snap(jsonl(INIT, TEXT('half done'), { type: 'user', message: { role: 'user', content: [{ type: 'text', text: '[Request interrupted by user]' }] } }), OK);
    assert.equal(result.latest_failure?.reason, 'no_terminal_event');
    assert.equal(result.worker_result.final_message, 'half done');
    assert.equal(snap(jsonl(INIT, TEXT('half done')), null).latest_failure?.reason, 'no_terminal_event');
  });

  it('a result line with wrongly typed fields still ends the run, as an error', () => {
    const result = snap(jsonl(INIT, RESULT({ is_error: 'no', usage: 5 })), OK);
    assert.equal(result.status, 'failed');
    assert.equal(result.latest_failure?.reason, 'execution_failed');
    assert.equal(result.worker_result.terminal_event, 'result');
  });

  it('the synthetic API error message is not the final message', () => {
    const stream = loadStream('claude-error400');
    const result = snap(stream.text, stream.exit);
    assert.equal(result.worker_result.final_message, null);
    assert.equal(result.worker_result.assistant_message_preview, null);
  });
});

describe('claude typed events', () => {
  const events = (value: unknown) => claudeEvents(parseLine(JSON.stringify(value)));

  it('splits an assistant message into text, thinking and tool calls', () => {
    const value = {
      type: 'assistant',
      message: {
        content: [
          { type: 'thinking', thinking: 'hmm' },
          { type: 'text', text: 'Running it.' },
          { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'echo hi' } },
        ],
      },
    };
    assert.deepEqual(events(value), [
      { type: 'agent_message', text: 'Running it.' },
      { type: 'reasoning', text: 'hmm' },
      { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'echo hi' } },
    ]);
  });

  it('types tool results, retries, permission denials and API errors', () => {
    assert.deepEqual(events({ type: 'user', message: { content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'text', text: 'hi' }], is_error: false }] } }), [
      { type: 'tool_result', toolUseId: 't', isError: false, content: 'hi' },
    ]);
    assert.deepEqual(events({ type: 'system', subtype: 'api_retry', attempt: 1, max_retries: 2, retry_delay_ms: 591, error_status: 500, error: 'server_error' }), [
      { type: 'retry', attempt: 1, maxRetries: 2, delayMs: 591, error: '500 server_error' },
    ]);
    assert.deepEqual(events({ type: 'system', subtype: 'permission_denied', tool_name: 'Bash', message: 'needs approval' }), [
      { type: 'permission_denied', toolName: 'Bash', message: 'needs approval' },
    ]);
    assert.deepEqual(
      events({ type: 'assistant', message: { model: '<synthetic>', content: [{ type: 'text', text: 'API Error: 400 bad' }] }, is_api_error_message: true, api_error_status: 400 }),
      [{ type: 'error', message: 'API Error: 400 bad', status: 400 }],
    );
  });

  it('unknown subtypes are progress, malformed lines unknown', () => {
    assert.deepEqual(events({ type: 'system', subtype: 'thinking_tokens', estimated_tokens: 10 }), [{ type: 'progress', eventType: 'system:thinking_tokens' }]);
    assert.deepEqual(events({ type: 'stream_event', event: {} }), [{ type: 'progress', eventType: 'stream_event' }]);
    assert.equal(events({ type: 'system', subtype: 'init' })[0]?.type, 'unknown');
    assert.equal(events({ type: 'assistant', message: { content: 'not an array' } })[0]?.type, 'unknown');
    assert.equal(events({ type: 'assistant', message: { content: [{ type: 'tool_use', input: {} }] } })[0]?.type, 'unknown');
    assert.equal(events({ no_type: true })[0]?.type, 'unknown');
  });
});
