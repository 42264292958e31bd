import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sumUsage } from '../../src/ops/usage.js';
import type { JsonObject } from '../../src/util/json.js';

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
      // The first worker (codex, no model named) has tokens but no price: the $0.013 is a lower bound, and says so.
      cost_usd: 0.013,
      cost_unknown_workers: 1,
    });
  });

  it('prices tokens by kind and model; an unlisted model makes the total a declared lower bound', () => {
    const codex = (argv: string[]) => ({
      worker_request: { kind: 'codex', argv },
      worker_result: { total_token_usage: { input_tokens: 1_000_000, cached_input_tokens: 400_000, output_tokens: 100_000, reasoning_output_tokens: 50_000 } },
    });
    const gemini = (models: JsonObject) => ({
      worker_request: { kind: 'gemini' },
      worker_result: { model: 'gemini-2.5-pro', total_token_usage: { input_tokens: 1, cached_input_tokens: 0, output_tokens: 1, total_tokens: 2, models } },
    });
    // gpt-5: 600k × $1.25 + 400k × $0.125 + 100k × $10 per 1M = 0.75 + 0.05 + 1.00
    assert.equal(sumUsage([codex(['-m', 'gpt-5'])]).cost_usd, 1.8);
    assert.equal(sumUsage([codex(['-c', 'model="gpt-5-mini"'])]).cost_usd, 0.36);
    // gemini: each model of the stats priced on its own (flash: 1M in × 0.30 + 1M out × 2.50; pro: 1M cached × 0.31)
    const both = gemini({
      'gemini-2.5-flash': { input_tokens: 1_000_000, cached_input_tokens: 0, output_tokens: 1_000_000 },
      'gemini-2.5-pro': { input_tokens: 0, cached_input_tokens: 1_000_000, output_tokens: 0 },
    });
    assert.deepEqual([sumUsage([both]).cost_usd, sumUsage([both]).cost_unknown_workers], [3.11, 0]);
    const partly = gemini({ 'gemini-2.5-flash': { input_tokens: 10, output_tokens: 1 }, 'gemini-9-ultra': { input_tokens: 10, output_tokens: 1 } });
    assert.deepEqual([sumUsage([partly]).cost_usd, sumUsage([partly]).cost_unknown_workers], [null, 1], 'one unlisted model: the worker is unknown, not half-priced');
    const mixed = sumUsage([codex(['--model=gpt-5']), codex(['--model', 'gpt-5.3'])]);
    assert.deepEqual([mixed.cost_usd, mixed.cost_unknown_workers], [1.8, 1]);
  });

  it('no usage at all: zeros and a null cost', () => {
    assert.deepEqual(sumUsage([]), { workers_with_usage: 0, input_tokens: 0, cached_input_tokens: 0, output_tokens: 0, reasoning_output_tokens: 0, total_tokens: 0, cost_usd: null, cost_unknown_workers: 0 });
  });
});
