import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MODEL_PRICES, PRICES_AS_OF, formatUsd, priceOf, tokenCostUsd } from '../../src/kinds/prices.js';
import { renderCostTotal, renderUsageTotals } from '../../src/cli/render/status-text.js';

describe('price table', () => {
  it('is dated and lists the models the kinds report', () => {
    assert.match(PRICES_AS_OF, /^\d{4}-\d{2}-\d{2}$/);
    for (const model of ['gpt-5', 'claude-sonnet-4-5', 'gemini-2.5-pro', 'gemini-2.5-flash']) assert.ok(MODEL_PRICES[model], model);
  });

  it('finds a model by exact name, else the longest listed prefix followed by "-"', () => {
    assert.equal(priceOf('gemini-2.5-flash-lite'), MODEL_PRICES['gemini-2.5-flash-lite']);
    assert.equal(priceOf('gemini-2.5-flash-preview-09-2025'), MODEL_PRICES['gemini-2.5-flash']);
    assert.equal(priceOf('claude-sonnet-4-5-20250929'), MODEL_PRICES['claude-sonnet-4-5']);
    assert.equal(priceOf('gpt-5.5'), MODEL_PRICES['gpt-5.5'], 'gpt-5.5 is its own model, not a gpt-5 snapshot');
    assert.equal(priceOf('gpt-5.3'), null, 'gpt-5.3 is not listed, and not a gpt-5 snapshot');
    assert.equal(priceOf('claude-opus-5-5-20261020'), MODEL_PRICES['claude-opus-5-5'], 'the longest listed prefix, not claude-opus-5');
    assert.equal(priceOf('claude-opus-6'), null);
    assert.equal(tokenCostUsd('unknown-model', { input: 1, cachedInput: 0, output: 0 }), null);
    assert.equal(tokenCostUsd('gpt-5', { input: 1_000_000, cachedInput: 1_000_000, output: 1_000_000 }), 11.375);
  });

  it('formats costs rounded', () => {
    assert.equal(formatUsd(0.0123), '$0.012');
    assert.equal(formatUsd(1.2345), '$1.23');
    assert.equal(formatUsd(0.00123), '$0.0012');
    assert.equal(formatUsd(0.0000001234), '$0.00000012');
    assert.equal(formatUsd(0), '$0.00');
  });

  it('totals say when they are partial', () => {
    const base = { total_tokens: 10, input_tokens: 5, cached_input_tokens: 0, output_tokens: 5 };
    assert.equal(renderCostTotal({ ...base, cost_usd: 0.0123, cost_unknown_workers: 0 }), '$0.012');
    assert.equal(renderCostTotal({ ...base, cost_usd: 0.0123, cost_unknown_workers: 2 }), "≥ $0.012 + 2 workers' cost unknown");
    assert.equal(renderCostTotal({ ...base, cost_usd: null, cost_unknown_workers: 1 }), 'cost unknown (1 worker)');
    assert.equal(renderUsageTotals({ ...base, cost_usd: null, cost_unknown_workers: 1 }), '10 tokens (5 in, 0 cached, 5 out), cost unknown (1 worker)');
  });
});
