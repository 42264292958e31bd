import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_RUNTIME_CONFIG, type RuntimeConfig } from '../../src/config/defaults.js';
import { effectiveThresholds } from '../../src/lifecycle/thresholds.js';

const config = (patch: Partial<RuntimeConfig> = {}): RuntimeConfig => ({ ...DEFAULT_RUNTIME_CONFIG, ...patch });

describe('effectiveThresholds (seed rules)', () => {
  it('uses the record thresholds capped by the configured stuck threshold', () => {
    assert.deepEqual(effectiveThresholds({ stale_after_ms: 60_000, timeout_after_ms: 90_000 }, config({ worker_stuck_after_ms: 30_000 })), {
      quiet_after_ms: 15_000,
      stale_after_ms: 30_000,
      timeout_after_ms: 30_000,
    });
    assert.deepEqual(effectiveThresholds({ stale_after_ms: 10_000, timeout_after_ms: 20_000 }, config({ worker_stuck_after_ms: 45_000 })), {
      quiet_after_ms: 5_000,
      stale_after_ms: 10_000,
      timeout_after_ms: 20_000,
    });
  });

  it('falls back to 45000 for missing, zero, negative and non-integer record values; timeout falls back to stale', () => {
    const cfg = config({ worker_stuck_after_ms: 0 as number });
    for (const bad of [undefined, 0, -1, 'x', 1.5, null]) {
      const t = effectiveThresholds({ stale_after_ms: bad ?? null }, cfg);
      assert.equal(t.stale_after_ms, 45_000, `stale ${String(bad)}`);
      assert.equal(t.timeout_after_ms, 45_000);
      assert.equal(t.quiet_after_ms, 22_500);
    }
    assert.equal(effectiveThresholds({ stale_after_ms: 8_000, timeout_after_ms: -3 }, cfg).timeout_after_ms, 8_000);
  });

  it('a non-positive configured stuck threshold is ignored', () => {
    assert.equal(effectiveThresholds({ stale_after_ms: 50_000 }, config({ worker_stuck_after_ms: -5 })).stale_after_ms, 50_000);
  });

  it('quiet: config beats record, clamped to [1, stale]; default floor(stale / 2) with a floor of 1', () => {
    assert.equal(effectiveThresholds({ stale_after_ms: 10_000, quiet_after_ms: 3_000 }, config({ worker_quiet_after_ms: 4_000 })).quiet_after_ms, 4_000);
    assert.equal(effectiveThresholds({ stale_after_ms: 10_000, quiet_after_ms: 3_000 }, config()).quiet_after_ms, 3_000);
    assert.equal(effectiveThresholds({ stale_after_ms: 10_000 }, config({ worker_quiet_after_ms: 99_000 })).quiet_after_ms, 10_000);
    assert.equal(effectiveThresholds({ stale_after_ms: 1 }, config()).quiet_after_ms, 1);
    assert.equal(effectiveThresholds({ stale_after_ms: 3 }, config()).quiet_after_ms, 1);
    assert.equal(effectiveThresholds({ stale_after_ms: 10_001 }, config()).quiet_after_ms, 5_000);
  });

  it('reads thresholds from a lifecycle that is not an object as absent', () => {
    assert.deepEqual(effectiveThresholds('nonsense', config()), { quiet_after_ms: 22_500, stale_after_ms: 45_000, timeout_after_ms: 45_000 });
  });
});
