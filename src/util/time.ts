/**
 * Timestamps on disk are RFC 3339 strings (upstream writes `2026-11-24T08:30:00.123Z`).
 * Parsing is strict like chrono's `parse_from_rfc3339`: anything else reads as absent.
 */
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export const parseRfc3339Millis = (value: unknown): number | undefined => {
  if (typeof value !== 'string') return undefined;
  const match = RFC3339.exec(value);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = match as unknown as string[];
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return undefined;
  }
  const millis = frac ? Math.floor(Number(`0${frac}`) * 1000) : 0;
  let offsetMinutes = 0;
  if (zone && zone !== 'Z' && zone !== 'z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const [oh, om] = zone.slice(1).split(':').map(Number) as [number, number];
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = sign * (oh * 60 + om);
  }
  const utc = Date.UTC(Number(y), month - 1, day, hour, minute, Math.min(second, 59), millis);
  const check = new Date(Date.UTC(Number(y), month - 1, day));
  if (check.getUTCDate() !== day) return undefined; // 2026-02-31 and friends
  return utc - offsetMinutes * 60_000;
};

/** Millisecond-precision UTC RFC 3339, as upstream writes (`SecondsFormat::Millis, true`). */
export const formatRfc3339 = (millis: number): string => new Date(Math.floor(millis)).toISOString();
