import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sumUsage } from '../../src/ops/usage.js';

describe('usage totals', () => {
  it('sums codex and claude usage and cost; total_tokens wins when present', () => {
    const totals = sumUsage([
      { worker_result: { total_token_usage: { input_tokens: 100, cached_input_tokens: 20, output_tokens: 10, reasoning_output_tokens: 5 } } },
      { worker_result: { total_token_usage: { input_tokens: 7, cache_creation_input_tokens: 3, cache_read_input_tokens: 4, output_tokens: 2 }, cost_usd: 0.0125 } },
      { worker_result: { total_token_usage: { input_tokens: 1, output_tokens: 1, total_tokens: 50 }, cost_usd: 0.0005 } },
      { worker_result: { total_token_usage: 'garbage', cost_usd: 'x' } },
      { worker_result: null },
      {},
    ]);
    assert.deepEqual(totals, {
      workers_with_usage: 3,
      input_tokens: 111,
      cached_input_tokens: 24,
      output_tokens: 13,
      reasoning_output_tokens: 5,
      total_tokens: 135 + 16 + 50,
      cost_usd: 0.013,
    });
  });

  it('no usage at all: zeros and a null cost', () => {
    assert.deepEqual(sumUsage([]), { workers_with_usage: 0, input_tokens: 0, cached_input_tokens: 0, output_tokens: 0, reasoning_output_tokens: 0, total_tokens: 0, cost_usd: null });
  });
});
