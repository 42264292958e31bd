/**
 * Every recorded real worker stream (Codex CLI 0.169, Claude Code 2.1.330, Gemini CLI 0.61.0 against the fake model server)
 * finalizes to the right status, reason and artifacts, with its recorded exit status (captain mode) and
 * without one (upstream compatibility mode).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findTerminalEventSync, snapshotFromRawEventsFileSync } from '../../src/events/index.js';
import { getKey } from '../../src/util/json.js';
import { COMPLETED_AT, loadStream, streamNames } from './helpers.js';

interface Expected {
  status: 'completed' | 'failed';
  reason: string | null;
  compatStatus: 'completed' | 'failed';
  compatReason: string | null;
  id: string;
  usage: [number, number] | null;
  cost?: number;
  terminal: string | null;
  message?: string;
  summaryHas?: string;
  extra?: Record<string, unknown>;
}

const EXPECTED: Record<string, Expected> = {
  'codex-ok': { status: 'completed', reason: null, compatStatus: 'completed', compatReason: null, id: '01a20b13-d864-7fd3-8001-5f48bea5d415', usage: [7154, 7], terminal: 'turn.completed', message: 'Hello from the fake model.' },
  'codex-fail': { status: 'failed', reason: 'execution_failed', compatStatus: 'failed', compatReason: 'execution_failed', id: '01a20b14-95d5-7261-85b0-afd5e8814f7d', usage: null, terminal: 'turn.failed', summaryHas: 'model exploded' },
  'codex-error400': { status: 'failed', reason: 'execution_failed', compatStatus: 'failed', compatReason: 'execution_failed', id: '01a20b14-9187-79a1-9aa4-5579c1d78db3', usage: null, terminal: 'turn.failed', summaryHas: 'bad request from fake' },
  'codex-error500': { status: 'failed', reason: 'execution_failed', compatStatus: 'failed', compatReason: 'execution_failed', id: '01a20b14-3a31-7fc0-8bd4-8595f07e3cd3', usage: null, terminal: 'turn.failed', summaryHas: 'high demand' },
  'codex-error500-default-retries': { status: 'failed', reason: 'execution_failed', compatStatus: 'failed', compatReason: 'execution_failed', id: '01a20b14-3e4a-7540-9f17-b760795e2a79', usage: null, terminal: 'turn.failed', summaryHas: 'high demand' },
  'codex-drop': { status: 'failed', reason: 'execution_failed', compatStatus: 'failed', compatReason: 'execution_failed', id: '01a20b14-9a23-7c62-a7de-beba0d641e88', usage: null, terminal: 'turn.failed', summaryHas: 'error sending request' },
  'codex-hang-sigterm': { status: 'failed', reason: 'killed_by_signal', compatStatus: 'failed', compatReason: 'invalid_output', id: '01a20b14-ae02-7691-b573-531a68862cec', usage: null, terminal: null, summaryHas: 'SIGTERM' },
  'codex-hang-sigint': { status: 'failed', reason: 'no_terminal_event', compatStatus: 'failed', compatReason: 'invalid_output', id: '01a20b14-ce1f-74f0-958d-9a7181a56a9e', usage: null, terminal: null, summaryHas: 'exit_code=1' },
  'codex-shell': { status: 'completed', reason: null, compatStatus: 'completed', compatReason: null, id: '01a20b13-dc89-7123-a4c6-8464a9496e13', usage: [14424, 31], terminal: 'turn.completed' },
  'codex-steps': { status: 'completed', reason: null, compatStatus: 'completed', compatReason: null, id: '01a20b13-e247-7771-af48-d0e49a5f2128', usage: [29315, 36], terminal: 'turn.completed', message: 'FAKE_OK finished 3 steps' },
  'codex-think': { status: 'completed', reason: null, compatStatus: 'completed', compatReason: null, id: '01a20b13-fb51-7640-855b-0c75f1c7d406', usage: [7155, 6], terminal: 'turn.completed', message: 'FAKE_OK after 3 thoughts' },
  'claude-ok': { status: 'completed', reason: null, compatStatus: 'completed', compatReason: null, id: 'b4209223-290c-4431-95e5-8684a5a2ce5b', usage: [4583, 7], cost: 0.018472000000000002, terminal: 'result', message: 'Hello from the fake model.', extra: { num_turns: 1, terminal_reason: 'completed' } },
  'claude-error400': { status: 'failed', reason: 'execution_failed', compatStatus: 'failed', compatReason: 'execution_failed', id: '0eab07bc-43d2-49f2-a43f-8e6e8fb1090a', usage: [0, 0], cost: 0, terminal: 'result', summaryHas: 'API Error: 400 bad request from fake', extra: { api_error_status: 400, terminal_reason: 'api_error' } },
  'claude-fail': { status: 'failed', reason: 'execution_failed', compatStatus: 'failed', compatReason: 'execution_failed', id: 'd0f063eb-6c44-4534-b7e9-c9a6a7d3ffd1', usage: [4583, 1], cost: 0, terminal: 'result', summaryHas: 'model exploded', extra: { api_error_status: 500 } },
  'claude-error500-retries2': { status: 'failed', reason: 'execution_failed', compatStatus: 'failed', compatReason: 'execution_failed', id: 'bb25f4ff-0758-4aaa-bad3-1e0584974dc8', usage: [0, 0], cost: 0, terminal: 'result', summaryHas: 'API Error: 500', extra: { api_retries: 2 } },
  'claude-hang-sigint': { status: 'failed', reason: 'no_terminal_event', compatStatus: 'failed', compatReason: 'no_terminal_event', id: 'f879281c-44d5-4660-aaa4-d213bd20baa7', usage: null, terminal: null, summaryHas: 'without a result event' },
  'claude-hang-sigterm': { status: 'failed', reason: 'no_terminal_event', compatStatus: 'failed', compatReason: 'no_terminal_event', id: 'e948921d-c944-4ec3-a2f6-621c0d5000f1', usage: null, terminal: null, summaryHas: 'exit_code=143' },
  'claude-shell': { status: 'completed', reason: null, compatStatus: 'completed', compatReason: null, id: '33c724a1-6092-4478-a211-e7ebf10e517e', usage: [9224, 11], cost: 0.037115999999999996, terminal: 'result', message: 'FAKE_OK ran `echo hi`; output: hi', extra: { num_turns: 2 } },
  'claude-shell-denied': { status: 'completed', reason: null, compatStatus: 'completed', compatReason: null, id: 'ed1c0950-b50d-4f05-8e1d-0890c3427a5d', usage: [9320, 66], cost: 0.038599999999999995, terminal: 'result', extra: { permission_denials: 1 } },
  'claude-steps': { status: 'completed', reason: null, compatStatus: 'completed', compatReason: null, id: '231a9177-a6cc-4c7a-af9a-fe54ee0d2462', usage: [18750, 18], cost: 0.07536000000000001, terminal: 'result', message: 'FAKE_OK finished 3 steps', extra: { num_turns: 4 } },
  'claude-think': { status: 'completed', reason: null, compatStatus: 'completed', compatReason: null, id: 'b9edec14-6435-431a-b625-200ba1a60ead', usage: [4580, 6], cost: 0.018439999999999998, terminal: 'result', message: 'FAKE_OK after 3 thoughts' },
  'gemini-ok': { status: 'completed', reason: null, compatStatus: 'completed', compatReason: null, id: '90acaeff-6b26-494d-bd05-f52aecdda639', usage: [7812, 7], terminal: 'result', message: 'Hello from the fake model.', extra: { model: 'gemini-2.5-flash', tool_calls: 0 } },
  'gemini-error400': { status: 'failed', reason: 'execution_failed', compatStatus: 'failed', compatReason: 'execution_failed', id: 'ad021632-36c8-45de-a087-18f066cc12ca', usage: [0, 0], terminal: 'result', summaryHas: 'Gemini CLI reported an error: [API Error: {"error":{"code":400,"message":"bad request from fake"', extra: { error_type: 'unknown' } },
  'gemini-error500': { status: 'failed', reason: 'execution_failed', compatStatus: 'failed', compatReason: 'execution_failed', id: 'a0850ed8-3493-43f3-8f5e-c4d4bdeff112', usage: [0, 0], terminal: 'result', summaryHas: 'model exploded' },
  'gemini-hang-sigterm': { status: 'failed', reason: 'no_terminal_event', compatStatus: 'failed', compatReason: 'no_terminal_event', id: '1542b7a0-ea41-4129-99db-2ed84c0378cc', usage: null, terminal: null, summaryHas: 'Gemini CLI exited without a result event. exit_code=0' },
  'gemini-shell-denied': { status: 'completed', reason: null, compatStatus: 'completed', compatReason: null, id: '936f86be-f4fb-4a39-8f0b-5fd4145c6188', usage: [15726, 47], terminal: 'result', message: 'FAKE_OK ran `echo hi`; output: Tool "run_shell_command" not found. Did you mean one of: "update_topic", "grep_search", "invoke_agent"?', extra: { tool_calls: 1 } },
  'gemini-steps': { status: 'completed', reason: null, compatStatus: 'completed', compatReason: null, id: 'c61c3ca6-8600-4450-a039-ef5d6bf957ba', usage: [47635, 57], terminal: 'result', message: 'FAKE_OK finished 3 steps', extra: { tool_calls: 3 } },
  'gemini-think': { status: 'completed', reason: null, compatStatus: 'completed', compatReason: null, id: '32ab0d44-22ed-4a95-a830-c42e2ab97a29', usage: [7806, 6], terminal: 'result', message: 'FAKE_OK after 2 thoughts' },
};

describe('recorded worker streams', () => {
  it('has an expectation for every copied sample', () => {
    assert.deepEqual(streamNames(), Object.keys(EXPECTED).sort());
  });

  for (const [name, want] of Object.entries(EXPECTED)) {
    it(`${name}: captain mode with the recorded exit status`, () => {
      const stream = loadStream(name);
      const snap = snapshotFromRawEventsFileSync(stream.file, stream.kind, stream.exit, COMPLETED_AT, { stderrTail: stream.stderr });
      const result = snap.worker_result;
      assert.equal(snap.status, want.status);
      assert.equal(result.status, want.status);
      assert.equal(result.failure_reason, want.reason);
      assert.equal(result.kind, stream.kind);
      assert.equal(result.recorded_at, COMPLETED_AT);
      assert.equal(result.raw_output_bytes, Buffer.byteLength(stream.text));
      assert.equal(result.terminal_event, want.terminal);
      assert.deepEqual(result.process_exit, {
        success: stream.exit.code === 0 && stream.exit.signal === null,
        exit_code: stream.exit.code,
        signal: stream.exit.signal,
      });
      if (stream.kind === 'codex') {
        assert.equal(result.thread_id, want.id);
        assert.equal(result.session_id, null);
        assert.equal(result.cost_usd, null);
      } else {
        assert.equal(result.session_id, want.id);
        assert.equal(result.cost_usd, want.cost ?? null);
      }
      const usage = result.total_token_usage;
      if (want.usage === null) assert.equal(usage, null);
      else {
        assert.equal(getKey(usage, 'input_tokens'), want.usage[0]);
        assert.equal(getKey(usage, 'output_tokens'), want.usage[1]);
      }
      if (want.message !== undefined) {
        assert.equal(result.final_message, want.message);
        assert.equal(result.assistant_message_preview, want.message);
      }
      if (want.summaryHas !== undefined) assert.ok(snap.summary.includes(want.summaryHas), snap.summary);
      for (const [key, value] of Object.entries(want.extra ?? {})) assert.equal(result[key], value, key);
      if (want.status === 'completed') {
        assert.equal(snap.latest_failure, null);
        assert.equal(snap.summary, want.message !== undefined || result.final_message !== null
          ? 'Worker returned a bounded result to captain fan-in.'
          : 'Worker finished and returned control to captain fan-in.');
      } else {
        assert.deepEqual(snap.latest_failure, { stage: 'execution', reason: want.reason, summary: snap.summary, recorded_at: COMPLETED_AT });
      }
      assert.equal(findTerminalEventSync(stream.file, stream.kind)?.type ?? null, want.terminal);
    });

    it(`${name}: upstream compatibility mode (exit unknown)`, () => {
      const stream = loadStream(name);
      const snap = snapshotFromRawEventsFileSync(stream.file, stream.kind, null, COMPLETED_AT);
      assert.equal(snap.status, want.compatStatus);
      assert.equal(snap.worker_result.failure_reason, want.compatReason);
      assert.equal(snap.worker_result.process_exit, null);
      assert.equal(snap.latest_failure === null ? null : snap.latest_failure.reason, want.compatReason);
      if (stream.kind === 'codex' && want.compatStatus === 'failed') {
        assert.ok(snap.summary.startsWith('Worker exited without parseable Codex result or usage artifacts. '), snap.summary);
        assert.ok(snap.summary.includes(`raw_events_bytes=${Buffer.byteLength(stream.text)}`), snap.summary);
        if (want.terminal === 'turn.failed') {
          assert.ok(snap.summary.includes('terminal_event=turn.failed error="'), snap.summary);
          assert.ok(snap.summary.includes(want.summaryHas ?? ''), snap.summary);
        }
      }
    });
  }

  it('codex turn.failed message is in the captain-mode summary and error_message', () => {
    const stream = loadStream('codex-fail');
    const snap = snapshotFromRawEventsFileSync(stream.file, 'codex', stream.exit, COMPLETED_AT);
    assert.equal(
      snap.summary,
      'Codex turn failed: stream disconnected before completion: model exploded terminal_event=turn.failed exit_code=1 raw_events_bytes=283',
    );
    assert.equal(snap.worker_result.error_message, 'stream disconnected before completion: model exploded');
  });

  it('keeps stderr apart from the raw output preview but quotes it in failure summaries', () => {
    const stream = loadStream('codex-hang-sigterm');
    const snap = snapshotFromRawEventsFileSync(stream.file, 'codex', stream.exit, COMPLETED_AT, { stderrTail: stream.stderr });
    assert.equal(snap.worker_result.raw_output_preview, null);
    assert.equal(snap.worker_result.stderr_preview, 'Reading additional input from stdin...');
    assert.equal(
      snap.summary,
      'Worker was killed by SIGTERM. signal=SIGTERM raw_events_bytes=101 stderr_preview="Reading additional input from stdin..."',
    );
  });
});
