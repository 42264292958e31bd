/**
 * Compact JSON written in pieces: the same bytes as `JSON.stringify(value)`, but large arrays are
 * serialized element by element and flushed in batches, so a status over 100k workers never holds
 * its whole JSON text (hundreds of MB) in memory at once.
 */
import { isJsonObject } from './json.js';
import { fillerBytes, JsonText, type JsonFiller } from './json-text.js';

/** Arrays longer than this are written element by element; shorter values in one stringify. */
const SPLIT_ARRAY_LENGTH = 64;
/** Nesting depth up to which objects are opened key by key (the status payload's big arrays sit at depth 2). */
const SPLIT_DEPTH = 3;

/** What `JSON.stringify` leaves out of an object (and writes as null in an array). */
const isUnwritable = (item: unknown): boolean => item === undefined || typeof item === 'function' || typeof item === 'symbol';

/** An object that `JSON.stringify` writes key by key (no `toJSON` of its own). */
const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  isJsonObject(value) && typeof (value as { toJSON?: unknown }).toJSON !== 'function';

/** `{"key":<inner pieces>,...}`, skipping what JSON.stringify skips. */
function* objectPieces<P>(value: Record<string, unknown>, inner: (item: unknown) => Iterable<P>): Generator<string | P> {
  yield '{';
  let first = true;
  for (const [key, item] of Object.entries(value)) {
    if (isUnwritable(item)) continue;
    yield `${first ? '' : ','}${JSON.stringify(key)}:`;
    first = false;
    yield* inner(item);
  }
  yield '}';
}

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
  if (depth < SPLIT_DEPTH && isPlainObject(value)) {
    yield* objectPieces(value, (item) => jsonPieces(item, depth + 1));
    return;
  }
  yield JSON.stringify(value) ?? 'null';
}

/** An array of a document, handed whole to the writer, which writes its items itself (no generator step per item). */
class ArrayPiece {
  constructor(readonly items: readonly unknown[]) {}
}

/** What {@link structuredPieces} yields: text, bytes, bytes made on demand, or an array for the writer to walk. */
type DocumentPiece = string | Uint8Array | JsonFiller | ArrayPiece;

/** {@link documentPieces}, but each array comes as one {@link ArrayPiece}. */
function* structuredPieces(value: unknown): Generator<DocumentPiece> {
  if (value instanceof JsonText) {
    yield value.filler ?? value.bytes ?? value.text;
    return;
  }
  if (Array.isArray(value)) {
    yield new ArrayPiece(value);
    return;
  }
  if (isPlainObject(value)) {
    yield* objectPieces(value, structuredPieces);
    return;
  }
  yield JSON.stringify(value) ?? 'null';
}

/**
 * The JSON text of a document that carries {@link JsonText} entries: each written as its text,
 * everything else as `JSON.stringify` writes it. Plain containers are walked all the way down (a
 * document's own structure is small; its bulk sits in the JsonText entries).
 */
export function* documentPieces(value: unknown): Generator<string | Uint8Array> {
  for (const piece of structuredPieces(value)) {
    if (!(piece instanceof ArrayPiece)) {
      yield typeof piece === 'string' || piece instanceof Uint8Array ? piece : fillerBytes(piece);
      continue;
    }
    yield '[';
    for (let i = 0; i < piece.items.length; i++) {
      if (i > 0) yield ',';
      const item: unknown = piece.items[i];
      // As JSON.stringify does: undefined and functions in arrays become null.
      yield* documentPieces(isUnwritable(item) ? null : item);
    }
    yield ']';
  }
}

/** A document's value with every {@link JsonText} parsed back (for pretty printing; small documents). */
export const materializeDocument = (document: unknown): unknown =>
  JSON.parse(JSON.stringify(document, (_key, value: unknown) => (value instanceof JsonText ? JSON.parse(value.text) : value)));

/**
 * Whether `stream` is done with a chunk when `write` returns with nothing left queued, or once it
 * has drained: on Linux, process.stdout and process.stderr write files and terminals synchronously,
 * and a pipe (which takes what fits and queues the rest) releases what it queued when it drains.
 * A batch can then be filled again (no new 256 KiB buffer, and no page faults, per batch: 23 MB of
 * them for a 10k status piped to a slow reader). Any other stream may keep the chunk it was given (a
 * PassThrough hands it on as is): never reused.
 */
const writesThrough = (stream: NodeJS.WritableStream): boolean => process.platform === 'linux' && (stream === process.stdout || stream === process.stderr);

/** Bytes per batch written to the stream. */
const BATCH_BYTES = 256 * 1024;

/**
 * Writes `pieces` plus a newline to `stream`, in ~256 KiB batches, honouring back-pressure. Each
 * piece is encoded straight into the batch's buffer (no joined string of the batch: at 20 MB of
 * output that is 20 MB less garbage); a batch is filled again once the stream is done with it (see
 * writesThrough), else a new buffer, as the stream may still hold the last.
 */
const writePieces = async (pieces: Iterable<DocumentPiece>, stream: NodeJS.WritableStream): Promise<void> => {
  let batch = Buffer.allocUnsafe(BATCH_BYTES);
  let used = 0;
  const drained = (): Promise<void> => new Promise<void>((resolve) => stream.once('drain', resolve));
  const send = async (bytes: Uint8Array): Promise<void> => {
    if (!stream.write(bytes)) await drained();
  };
  const reusable = writesThrough(stream);
  const flush = async (): Promise<void> => {
    if (used === 0) return;
    const full = batch.subarray(0, used);
    used = 0;
    if (reusable) {
      if (stream.write(full) && (stream as { writableLength?: number }).writableLength === 0) return; // written out: the batch is free again
      // A pipe the reader drains at its own pace: once drained, the stream holds nothing, so the
      // batch is free again (no new 256 KiB per batch piling up while the reader catches up).
      if ((stream as { writableNeedDrain?: boolean }).writableNeedDrain === true) return drained();
      // Queued, but under the stream's high-water mark: it may still hold the batch.
      batch = Buffer.allocUnsafe(BATCH_BYTES);
      return;
    }
    // The stream may keep the batch: the next one is a new buffer.
    batch = Buffer.allocUnsafe(BATCH_BYTES);
    await send(full);
  };
  /** A piece that may not fit: after the batch, or on its own when larger than a batch. */
  const put = async (piece: string | Uint8Array | JsonFiller): Promise<void> => {
    await flush();
    if (!(typeof piece === 'string' || piece instanceof Uint8Array) && putInPlace(piece)) return;
    const bytes = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece instanceof Uint8Array ? piece : fillerBytes(piece);
    if (bytes.length > batch.length) return send(bytes);
    batch.set(bytes, used);
    used += bytes.length;
  };
  /** Puts a piece in place when it surely fits (a string's UTF-8 is at most 3 bytes per UTF-16 unit); false when it may not. */
  const putInPlace = (piece: string | Uint8Array | JsonFiller): boolean => {
    if (typeof piece === 'string') {
      if (piece.length * 3 > batch.length - used) return false;
      used += batch.write(piece, used, 'utf8');
      return true;
    }
    if (!(piece instanceof Uint8Array)) {
      // Made straight into the batch.
      if (piece.byteLength > batch.length - used) return false;
      used += piece.fill(batch, used);
      return true;
    }
    if (piece.length > batch.length - used) return false;
    batch.set(piece, used);
    used += piece.length;
    return true;
  };
  const write = async (pieces: Iterable<DocumentPiece>): Promise<void> => {
    for (const piece of pieces) {
      if (!(piece instanceof ArrayPiece)) {
        if (!putInPlace(piece)) await put(piece);
        continue;
      }
      // The bulk of a document: its items, walked here.
      if (!putInPlace('[')) await put('[');
      const { items } = piece;
      for (let i = 0; i < items.length; i++) {
        if (i > 0 && !putInPlace(',')) await put(',');
        const item: unknown = items[i];
        if (item instanceof JsonText) {
          const text = item.filler ?? item.bytes ?? item.text;
          if (!putInPlace(text)) await put(text);
        } else await write(structuredPieces(isUnwritable(item) ? null : item));
      }
      if (!putInPlace(']')) await put(']');
    }
  };
  await write(pieces);
  await put('\n');
  await flush();
};

/** Writes `value` as compact JSON plus a newline to `stream`, in batches (see {@link jsonPieces}). */
export const writeJsonStream = (value: unknown, stream: NodeJS.WritableStream = process.stdout): Promise<void> =>
  writePieces(jsonPieces(value), stream);

/** Writes a document carrying {@link JsonText} entries as compact JSON plus a newline (see {@link documentPieces}). */
export const writeJsonDocument = (document: unknown, stream: NodeJS.WritableStream = process.stdout): Promise<void> =>
  writePieces(structuredPieces(document), stream);
