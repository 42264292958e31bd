/**
 * JSON values as they sit on disk, plus lenient accessors that read the way upstream's
 * `serde_json::Value` accessors do: a value of the wrong type reads as absent.
 */
export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

export const isJsonObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `value.get(key)`: the raw value when `value` is an object holding `key`, else undefined. */
export const getKey = (value: Json | undefined, key: string): Json | undefined =>
  isJsonObject(value) && Object.prototype.hasOwnProperty.call(value, key) ? value[key] : undefined;

/** `Value::as_str`. */
export const asString = (value: Json | undefined): string | undefined =>
  typeof value === 'string' ? value : undefined;

/** `Value::as_i64`: an integral JSON number. (JSON.parse cannot tell `45000.0` from `45000`.) */
export const asInteger = (value: Json | undefined): number | undefined =>
  typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;

/** `Value::as_u64`: a non-negative integral JSON number. */
export const asUnsigned = (value: Json | undefined): number | undefined => {
  const n = asInteger(value);
  return n !== undefined && n >= 0 ? n : undefined;
};

/** `Value::as_bool`. */
export const asBoolean = (value: Json | undefined): boolean | undefined =>
  typeof value === 'boolean' ? value : undefined;

/** The raw value, or JSON null when absent (`.cloned().unwrap_or(Value::Null)`). */
export const orNull = (value: Json | undefined): Json => (value === undefined ? null : value);

/** Present and not JSON null. */
export const isPresent = (value: Json | undefined): boolean => value !== undefined && value !== null;

/**
 * Number fields the seed reads with `Value::as_i64` / `as_u64` (`worker_lifecycle.stale_after_ms`,
 * `timeout_after_ms`, `quiet_after_ms`, `process_id`). serde_json reads a literal with a fraction or
 * an exponent (`10000.0`, `2e4`) as an f64, for which those accessors return None; JSON.parse makes
 * it a plain integer. `readJsonObjectSync` marks such literals (see {@link markFloatLiterals}) so
 * the readers can treat them as absent, like the seed.
 */
export const FLOAT_LITERAL_KEYS: ReadonlySet<string> = new Set(['stale_after_ms', 'timeout_after_ms', 'quiet_after_ms', 'process_id']);

const floatLiterals = new WeakMap<object, Set<string>>();
/** False until the first mark: the common case then pays no WeakMap lookup. */
let anyFloatLiteral = false;

/** Records that `holder[key]` was written as a float literal on disk (`10000.0`, `2e4`). */
export const markFloatLiteral = (holder: object, key: string): void => {
  const keys = floatLiterals.get(holder);
  if (keys === undefined) floatLiterals.set(holder, new Set([key]));
  else keys.add(key);
  anyFloatLiteral = true;
};

const unmarkFloatLiteral = (holder: object, key: string): void => {
  floatLiterals.get(holder)?.delete(key);
};

/** Was `holder[key]` a float literal on disk? A pure read (the marks live beside the data). */
export const isFloatLiteral = (holder: Json | undefined, key: string): boolean =>
  anyFloatLiteral && typeof holder === 'object' && holder !== null && floatLiterals.get(holder)?.has(key) === true;

/** Carries `from`'s marks over to `to` (a copy of the same object, e.g. after structuredClone). */
export const copyFloatLiteralMarks = (from: Json | undefined, to: Json | undefined): void => {
  if (!anyFloatLiteral || typeof from !== 'object' || from === null || typeof to !== 'object' || to === null) return;
  const keys = floatLiterals.get(from);
  if (keys !== undefined && keys.size > 0) floatLiterals.set(to, new Set(keys));
};

/**
 * One of {@link FLOAT_LITERAL_KEYS}, then a number whose digits run into `.`, `e` or `E`. No match:
 * no such field (a key spelled with `\u` escapes is not looked for). A match may sit inside a
 * string; the walk then marks nothing.
 */
const FLOAT_LITERAL_FIELD = /"(?:stale_after_ms|timeout_after_ms|quiet_after_ms|process_id)"\s*:\s*-?\d+[.eE]/;

/**
 * Cheap test on the raw text: can it hold one of {@link FLOAT_LITERAL_KEYS} with a float literal?
 * One regex scan (about 0.5 µs for a 2 KB record, a sixth of its JSON.parse); false for every
 * record captain writes itself.
 */
export const mayHoldFloatLiteral = (text: string): boolean => FLOAT_LITERAL_FIELD.test(text);

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

const ownValue = (container: unknown, key: string | number): unknown => {
  if (Array.isArray(container)) return typeof key === 'number' ? container[key] : undefined;
  return isJsonObject(container) && typeof key === 'string' && Object.prototype.hasOwnProperty.call(container, key)
    ? container[key]
    : undefined;
};

/** Index just past the string literal that opens at `start` (valid JSON: escapes are well formed). */
const stringEnd = (text: string, start: number): number => {
  let i = start + 1;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return i + 1;
    i += c === 0x5c ? 2 : 1;
  }
};

/**
 * Walks `text` (valid JSON, already parsed into `root`) alongside `root`, and marks every object
 * that holds one of {@link FLOAT_LITERAL_KEYS} as a number literal with a fraction or an exponent
 * (`markFloatLiteral(object, key)`). Strings are skipped whole (a `"stale_after_ms": 1.0` inside a
 * string is text, not a field). With a duplicated key the last occurrence wins, as in JSON.parse
 * and serde_json. Iterative, so nesting depth is no concern. Only run when
 * {@link mayHoldFloatLiteral} says so.
 */
export const markFloatLiterals = (text: string, root: Json): void => {
  // One frame per open container: the parsed container (undefined when the text and the parsed
  // value disagree, e.g. an overwritten duplicate key), whether it is an object, and the slot.
  const containers: unknown[] = [];
  const isObject: boolean[] = [];
  const slots: (string | number)[] = [];
  let container: unknown = undefined;
  let inObject = false;
  let slot: string | number = 0;
  let expectKey = false;
  let started = false;
  const length = text.length;
  let i = 0;
  while (i < length) {
    const c = text.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) {
      // { or [
      const opening = c === 0x7b;
      const child = started ? ownValue(container, slot) : root;
      started = true;
      containers.push(container);
      isObject.push(inObject);
      slots.push(slot);
      container = opening ? (isJsonObject(child) ? child : undefined) : Array.isArray(child) ? child : undefined;
      inObject = opening;
      slot = opening ? '' : 0;
      expectKey = opening;
      i += 1;
    } else if (c === 0x7d || c === 0x5d) {
      // } or ]
      container = containers.pop();
      inObject = isObject.pop() ?? false;
      slot = slots.pop() ?? 0;
      expectKey = false;
      i += 1;
    } else if (c === 0x2c) {
      // ,
      if (inObject) expectKey = true;
      else slot = (slot as number) + 1;
      i += 1;
    } else if (c === 0x22) {
      const end = stringEnd(text, i);
      if (expectKey) {
        const raw = text.slice(i + 1, end - 1);
        slot = raw.includes('\\') ? (JSON.parse(text.slice(i, end)) as string) : raw;
        expectKey = false;
      }
      i = end;
    } else if (c === 0x2d || isDigit(c)) {
      let j = i + 1;
      let float = false;
      for (;;) {
        const d = text.charCodeAt(j);
        if (isDigit(d) || d === 0x2b || d === 0x2d) j += 1;
        else if (d === 0x2e || d === 0x65 || d === 0x45) {
          float = true;
          j += 1;
        } else break;
      }
      if (inObject && container !== undefined && typeof slot === 'string' && FLOAT_LITERAL_KEYS.has(slot)) {
        if (float) markFloatLiteral(container as object, slot);
        else unmarkFloatLiteral(container as object, slot);
      }
      i = j;
    } else {
      // whitespace, `:`, true, false, null
      i += 1;
    }
  }
};

/**
 * Whether the JSON `text` (valid JSON) nests arrays and objects deeper than `limit` levels.
 * Iterative, and cheap for ordinary records: nesting can only be as deep as the number of `{` and
 * `[` in the text, so the exact walk (which skips strings) runs only when there are more than
 * `limit` of them, counted with native `indexOf` scans that stop at the limit.
 */
export const exceedsNestingDepth = (text: string, limit: number): boolean => {
  let openers = 0;
  for (let i = text.indexOf('{'); i >= 0 && openers <= limit; i = text.indexOf('{', i + 1)) openers += 1;
  for (let i = text.indexOf('['); i >= 0 && openers <= limit; i = text.indexOf('[', i + 1)) openers += 1;
  if (openers <= limit) return false;
  let depth = 0;
  const length = text.length;
  for (let i = 0; i < length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) {
      depth += 1;
      if (depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth -= 1;
    } else if (c === 0x22) {
      i = stringEnd(text, i) - 1;
    }
  }
  return false;
};
