/**
 * Timestamps on disk are RFC 3339 strings (upstream writes `2026-11-24T08:30:00.123Z`).
 * Parsing is strict like chrono's `DateTime::parse_from_rfc3339` followed by `timestamp_millis()`
 * (what the seed does): anything chrono rejects reads as absent.
 */

/** The digit at `i` (0-9), or -1 (also past the end: charCodeAt gives NaN there). */
const digitAt = (s: string, i: number): number => {
  const d = s.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : -1;
};

/** Two digits at `i` as a number, or -1. */
const twoDigitsAt = (s: string, i: number): number => {
  const a = digitAt(s, i);
  const b = digitAt(s, i + 1);
  return a < 0 || b < 0 ? -1 : a * 10 + b;
};

const isLeapYear = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

const daysInMonth = (year: number, month: number): number =>
  month === 2 ? (isLeapYear(year) ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;

/**
 * Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `days_from_civil`). Unlike
 * `Date.UTC`, years 0-99 stay years 0-99.
 */
const daysFromCivil = (year: number, month: number, day: number): number => {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
};

const COLON = 58;
const DASH = 45;
const DOT = 46;
const PLUS = 43;
const MINUS_SIGN = 0x2212; // chrono 0.4.44 (upstream's pin) takes U+2212 in the offset

/**
 * Milliseconds since the epoch of an RFC 3339 timestamp, read like chrono (the version upstream
 * pins): `YYYY-MM-DD`, `T`/`t`/space, `HH:MM:SS`, an optional `.` and one or more digits, then
 * `Z`/`z` or `±HH:MM` (at most 23:59). Checked like chrono: month 1-12, the day within its month
 * (proleptic Gregorian, year 0000 is a leap year), hour 0-23, minute 0-59, second 0-60.
 * - A leap second `:60` is chrono's `:59` plus a second of nanoseconds, so its millis are those of
 *   the next `:00` (`09:30:60.250Z` reads as `09:31:00.250Z`).
 * - Digits past the ninth are ignored and millis are the fraction's first three digits: truncated,
 *   never rounded (`.9999999999` gives 999 ms).
 * Anything else (wrong shape, trailing text, out-of-range field, not a string) is undefined.
 * Allocation-free: this runs for every record of a `captain status`.
 */
export const parseRfc3339Millis = (value: unknown): number | undefined => {
  if (typeof value !== 'string') return undefined;
  const s = value;
  const length = s.length;
  if (length < 20) return undefined; // YYYY-MM-DDTHH:MM:SSZ
  const y1 = twoDigitsAt(s, 0);
  const y2 = twoDigitsAt(s, 2);
  const month = twoDigitsAt(s, 5);
  const day = twoDigitsAt(s, 8);
  const hour = twoDigitsAt(s, 11);
  const minute = twoDigitsAt(s, 14);
  const second = twoDigitsAt(s, 17);
  const separator = s.charCodeAt(10);
  if (
    y1 < 0 || y2 < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 ||
    second < 0 || second > 60 ||
    s.charCodeAt(4) !== DASH || s.charCodeAt(7) !== DASH || s.charCodeAt(13) !== COLON || s.charCodeAt(16) !== COLON ||
    (separator !== 84 && separator !== 116 && separator !== 32) // T, t, space
  ) {
    return undefined;
  }
  const year = y1 * 100 + y2;
  if (day > daysInMonth(year, month)) return undefined;
  let i = 19;
  let millis = 0;
  if (s.charCodeAt(i) === DOT) {
    i += 1;
    const start = i;
    for (let d = digitAt(s, i); d >= 0; d = digitAt(s, i)) {
      if (i - start < 3) millis = millis * 10 + d;
      i += 1;
    }
    const digits = i - start;
    if (digits === 0) return undefined;
    if (digits === 1) millis *= 100;
    else if (digits === 2) millis *= 10;
  }
  let offsetMinutes = 0;
  const zone = s.charCodeAt(i);
  if (zone === 90 || zone === 122) {
    // Z, z
    if (i + 1 !== length) return undefined;
  } else if (zone === PLUS || zone === DASH || zone === MINUS_SIGN) {
    const oh = twoDigitsAt(s, i + 1);
    const om = twoDigitsAt(s, i + 4);
    if (oh < 0 || oh > 23 || om < 0 || om > 59 || s.charCodeAt(i + 3) !== COLON || i + 6 !== length) return undefined;
    offsetMinutes = zone === PLUS ? oh * 60 + om : -(oh * 60 + om);
  } else {
    return undefined;
  }
  const days = daysFromCivil(year, month, day);
  return (((days * 24 + hour) * 60 + minute - offsetMinutes) * 60 + second) * 1000 + millis;
};

/** Millisecond-precision UTC RFC 3339, as upstream writes (`SecondsFormat::Millis, true`). */
export const formatRfc3339 = (millis: number): string => new Date(Math.floor(millis)).toISOString();
