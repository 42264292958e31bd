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
