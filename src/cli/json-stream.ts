/**
 * Compact JSON written in pieces: the same bytes as `JSON.stringify(value)`, but large arrays are
 * serialized element by element and flushed in batches, so a status over 100k workers never holds
 * its whole JSON text (hundreds of MB) in memory at once.
 */
import { isJsonObject } from '../util/json.js';

/** Arrays longer than this are written element by element; shorter values in one stringify. */
const SPLIT_ARRAY_LENGTH = 64;
/** Nesting depth up to which objects are opened key by key (the status payload's big arrays sit at depth 2). */
const SPLIT_DEPTH = 3;

/** The JSON text of `value` in pieces whose concatenation equals `JSON.stringify(value)`. */
export function* jsonPieces(value: unknown, depth = 0): Generator<string> {
  if (Array.isArray(value) && value.length > SPLIT_ARRAY_LENGTH) {
    yield '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) yield ',';
      // As JSON.stringify does: undefined and functions in arrays become null.
      yield JSON.stringify(value[i]) ?? 'null';
    }
    yield ']';
    return;
  }
  if (depth < SPLIT_DEPTH && isJsonObject(value) && typeof (value as { toJSON?: unknown }).toJSON !== 'function') {
    yield '{';
    let first = true;
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
      yield `${first ? '' : ','}${JSON.stringify(key)}:`;
      first = false;
      yield* jsonPieces(item, depth + 1);
    }
    yield '}';
    return;
  }
  yield JSON.stringify(value) ?? 'null';
}

/** Writes `value` as compact JSON plus a newline to `stream`, in ~256 KiB batches, honouring back-pressure. */
export const writeJsonStream = async (value: unknown, stream: NodeJS.WritableStream = process.stdout): Promise<void> => {
  let batch: string[] = [];
  let size = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const text = batch.join('');
    batch = [];
    size = 0;
    if (!stream.write(text)) await new Promise<void>((resolve) => stream.once('drain', resolve));
  };
  for (const piece of jsonPieces(value)) {
    batch.push(piece);
    size += piece.length;
    if (size >= 256 * 1024) await flush();
  }
  batch.push('\n');
  await flush();
};
