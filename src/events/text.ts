/**
 * Small text helpers that reproduce upstream CCC's Rust string handling exactly where the output is
 * part of the on-disk contract (previews), plus byte-bounded cutting for captain's own fields.
 */

/** Rust's `char::is_whitespace` (Unicode White_Space), which `str::split_whitespace` splits on. */
const RUST_WHITESPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;

/**
 * Upstream's `summarize_text_for_visibility`: collapse every whitespace run to one space, trim, and
 * when the result has more than `maxChars` characters (Unicode scalar values, not UTF-16 units) keep
 * the first `maxChars - 3` and append `...`.
 */
export const summarizeForVisibility = (text: string, maxChars: number): string => {
  const normalized = text.split(RUST_WHITESPACE).filter((word) => word !== '').join(' ');
  // Fast path: a string of at most maxChars UTF-16 units cannot hold more than maxChars code points.
  if (normalized.length <= maxChars) return normalized;
  const chars = Array.from(normalized);
  if (chars.length <= maxChars) return normalized;
  return `${chars.slice(0, Math.max(maxChars - 3, 0)).join('')}...`;
};

/** Rust's `str::to_ascii_lowercase`: only A-Z change (JS `toLowerCase` also folds e.g. the Kelvin sign to `k`). */
export const asciiLowercase = (text: string): string => text.replace(/[A-Z]+/g, (run) => run.toLowerCase());

/**
 * Rust's `str::lines`: split on `\n`, drop one trailing `\r` per line, and yield no final empty line
 * after a trailing newline.
 */
export const rustLines = (text: string): string[] => {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] as string;
    if (line.endsWith('\r')) lines[i] = line.slice(0, -1);
  }
  return lines;
};

const TRUNCATION_MARK = '\n[... truncated]';

/**
 * `text` when its UTF-8 encoding fits in `maxBytes`; otherwise its longest prefix (cut on a code point
 * boundary) that fits together with a `[... truncated]` marker.
 */
export const capUtf8Bytes = (text: string, maxBytes: number): string => {
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const budget = Math.max(maxBytes - Buffer.byteLength(TRUNCATION_MARK, 'utf8'), 0);
  const bytes = Buffer.from(text, 'utf8');
  let end = budget;
  // Step back over UTF-8 continuation bytes so the cut never splits a code point.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return bytes.subarray(0, end).toString('utf8') + TRUNCATION_MARK;
};

/** At most `maxChars` UTF-16 units of `text`, for one-line previews in logs and `unknown` events. */
export const clip = (text: string, maxChars: number): string =>
  text.length <= maxChars ? text : `${text.slice(0, Math.max(maxChars - 3, 0))}...`;
