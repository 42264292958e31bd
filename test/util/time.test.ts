/**
 * parseRfc3339Millis reads like chrono's `DateTime::parse_from_rfc3339(..).timestamp_millis()` (the
 * seed's `parse_timestamp_millis`). Expected millis are written out; the divergent cases are the
 * ones of the seed-golden `timestamps-divergent` run (now = 2026-11-24T10:00:00Z = 1795514400000).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatRfc3339, parseRfc3339Millis } from '../../src/util/time.js';

const NOW = 1_795_514_400_000; // 2026-11-24T10:00:00.000Z

describe('parseRfc3339Millis', () => {
  it('reads the upstream spelling and its variants', () => {
    assert.equal(parseRfc3339Millis('2026-11-24T10:00:00.000Z'), NOW);
    assert.equal(parseRfc3339Millis('2026-11-24T10:00:00Z'), NOW);
    assert.equal(parseRfc3339Millis('2026-11-24t10:00:00z'), NOW);
    assert.equal(parseRfc3339Millis('2026-11-24 10:00:00Z'), NOW, 'chrono 0.4.44 (upstream) takes a space');
    assert.equal(parseRfc3339Millis('2026-11-24T08:30:00.123Z'), NOW - 5_400_000 + 123);
    assert.equal(parseRfc3339Millis('2026-11-24T12:30:00+02:30'), NOW);
    assert.equal(parseRfc3339Millis('2026-11-24T06:00:00-04:00'), NOW);
    assert.equal(parseRfc3339Millis('2026-11-24T06:00:00\u221204:00'), NOW, 'U+2212 minus (chrono 0.4.44)');
    assert.equal(parseRfc3339Millis('2026-11-24T10:00:00+00:00'), NOW);
    assert.equal(parseRfc3339Millis('2026-11-24T10:00:00-00:00'), NOW);
    assert.equal(parseRfc3339Millis('2026-11-25T09:59:00+23:59'), NOW);
    assert.equal(parseRfc3339Millis('1970-01-01T00:00:00Z'), 0);
    assert.equal(parseRfc3339Millis('1969-12-31T23:59:59.999Z'), -1);
  });

  it('reads the fraction like chrono: any number of digits, millis truncated, never rounded', () => {
    assert.equal(parseRfc3339Millis('2026-11-24T10:00:00.5Z'), NOW + 500);
    assert.equal(parseRfc3339Millis('2026-11-24T10:00:00.05Z'), NOW + 50);
    assert.equal(parseRfc3339Millis('2026-11-24T10:00:00.0009Z'), NOW);
    assert.equal(parseRfc3339Millis('2026-11-24T10:00:00.123456789Z'), NOW + 123);
    assert.equal(parseRfc3339Millis('2026-11-24T09:59:59.9999999999Z'), NOW - 1);
    // tx05-fraction-rounds-up: elapsed 1 ms at the golden now.
    assert.equal(parseRfc3339Millis('2026-11-24T09:59:59.99999999999999999Z'), NOW - 1);
    assert.equal(parseRfc3339Millis(`2026-11-24T10:00:00.${'7'.repeat(400)}Z`), NOW + 777);
  });

  it('reads a leap second as the next :00 (chrono: :59 plus a second of nanoseconds)', () => {
    // tx01-leap-second: elapsed 0 at the golden now.
    assert.equal(parseRfc3339Millis('2026-11-24T09:59:60.000Z'), NOW);
    // tx02-leap-second-mid-hour: elapsed 1739750.
    assert.equal(parseRfc3339Millis('2026-11-24T09:30:60.250Z'), NOW - 1_739_750);
    assert.equal(parseRfc3339Millis('2026-12-31T23:59:60Z'), 1_798_761_600_000);
    assert.equal(parseRfc3339Millis('2016-12-31T23:59:60.999999999Z'), 1_483_228_800_999);
    assert.equal(parseRfc3339Millis('2026-11-24T11:59:60+02:00'), NOW);
  });

  it('keeps years 0000-0099 (no 1900 shift), proleptic Gregorian', () => {
    // tx03-year-0050 and tx04-year-0000-feb-29: elapsed 62384810400000 and 63957636000000.
    assert.equal(parseRfc3339Millis('0050-01-01T00:00:00Z'), NOW - 62_384_810_400_000);
    assert.equal(parseRfc3339Millis('0000-02-29T00:00:00Z'), NOW - 63_957_636_000_000);
    assert.equal(parseRfc3339Millis('0000-01-01T00:00:00Z'), -62_167_219_200_000);
    assert.equal(parseRfc3339Millis('0099-12-31T23:59:59.999Z'), -59_011_459_200_001);
    assert.equal(parseRfc3339Millis('9999-12-31T23:59:59.999Z'), 253_402_300_799_999);
    assert.equal(parseRfc3339Millis('2000-02-29T00:00:00Z'), 951_782_400_000);
    assert.equal(parseRfc3339Millis('2024-02-29T00:00:00Z'), 1_709_164_800_000);
  });

  it('reads what chrono rejects as absent', () => {
    const rejected = [
      '',
      '2026-11-24',
      '2026-11-24T10:00:00', // no offset
      '2026-11-24T10:00Z', // no seconds
      '2026-11-24T10:00:00.Z', // a dot without digits
      '2026-11-24T10:00:00,5Z',
      '2026-11-24T10:00:00ZZ',
      '2026-11-24T10:00:00Z ',
      ' 2026-11-24T10:00:00Z',
      '2026-11-24T10:00:00+0200',
      '2026-11-24T10:00:00+02',
      '2026-11-24T10:00:00+2:00',
      '2026-11-24T10:00:00+24:00',
      '2026-11-24T10:00:00+01:60',
      '2026-11-24T10:00:00UTC',
      '2026-11-24T10:00:00GMT',
      '2026-11-24_10:00:00Z',
      '2026-11-24T24:00:00Z',
      '2026-11-24T10:60:00Z',
      '2026-11-24T10:00:61Z',
      '2026-13-01T10:00:00Z',
      '2026-00-01T10:00:00Z',
      '2026-11-00T10:00:00Z',
      '2026-11-31T10:00:00Z',
      '2026-02-29T10:00:00Z',
      '1900-02-29T10:00:00Z',
      '2026-1-24T10:00:00Z',
      '+2026-11-24T10:00:00Z',
      '12026-11-24T10:00:00Z',
      '２０２６-11-24T10:00:00Z',
      '2026-11-24T10:00:00.５Z',
    ];
    for (const text of rejected) assert.equal(parseRfc3339Millis(text), undefined, JSON.stringify(text));
    for (const value of [undefined, null, 0, NOW, true, {}, []]) assert.equal(parseRfc3339Millis(value), undefined);
  });

  it('round-trips what formatRfc3339 writes', () => {
    for (const ms of [0, NOW, NOW + 1, NOW + 999, 253_402_300_799_999, 1]) assert.equal(parseRfc3339Millis(formatRfc3339(ms)), ms);
  });
});
