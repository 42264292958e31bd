/**
 * Reading and writing one JSON record file. Reads are strict (UTF-8, one object at the root) and
 * every failure names the file; writes are atomic (temp file + fsync + rename), so a concurrent
 * reader sees either the old or the new record, never half of one (upstream weakness 2).
 */
import { closeSync, mkdirSync, readSync, type Stats } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { onExit } from 'signal-exit';
import writeFileAtomic from 'write-file-atomic';
import { RECORD_MAX_BYTES, RECORD_MAX_DEPTH, RECORD_READ_SCRATCH_BYTES } from '../config/defaults.js';
import { assertWritableInsideRun, recordRunDir } from './paths.js';
import { openRegularFileSync } from './regular-file.js';
import { CaptainError, describeError, isCaptainError } from '../errors.js';
import { exceedsNestingDepth, isJsonObject, markFloatLiterals, mayHoldFloatLiteral, type JsonObject } from '../util/json.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

const invalidRecord = (path: string, reason: string, cause?: unknown): CaptainError =>
  new CaptainError('INVALID_RECORD', `${path}: ${reason}`, { cause, data: { path, reason } });

/** Offset of the first byte that is not valid UTF-8 (only computed on the error path). */
const firstInvalidUtf8Offset = (bytes: Uint8Array): number => {
  let good = 0;
  let bad = bytes.length;
  // Largest prefix that decodes in streaming mode (a cut-off trailing sequence is not an error there).
  while (bad - good > 1) {
    const mid = (good + bad) >>> 1;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, mid), { stream: true });
      good = mid;
    } catch {
      bad = mid;
    }
  }
  // That prefix may end inside a started sequence, which is where the bad character begins.
  let start = good - 1;
  while (start >= 0 && start > good - 4 && ((bytes[start] ?? 0) & 0xc0) === 0x80) start -= 1;
  const lead = bytes[start] ?? 0;
  const length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return start >= 0 && start + length > good ? start : good;
};

const describeRoot = (value: unknown): string =>
  Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`;

/** Where JSON.parse stopped, from V8's message ("... at position 12" or "Unexpected end of JSON input"). */
const parseErrorPosition = (message: string, text: string): number | undefined => {
  const match = /position (\d+)/.exec(message);
  if (match?.[1] !== undefined) return Number(match[1]);
  return message.includes('end of JSON input') ? text.length : undefined;
};

/**
 * A read buffer reused across many `readJsonObjectSync` calls in a row (one allocation instead of
 * one per file). Bytes read into it are only valid until the next read.
 */
export interface ReadScratch {
  buffer: Buffer;
}

export const createReadScratch = (): ReadScratch => ({ buffer: Buffer.allocUnsafe(RECORD_READ_SCRATCH_BYTES) });

/**
 * The whole record file: a regular file of at most RECORD_MAX_BYTES (see `openRegularFileSync`),
 * read into `scratch` when it fits (or a buffer of its own). open + fstat + read + close.
 */
const readRecordBytes = (path: string, scratch: ReadScratch | undefined, source?: RecordSource): Uint8Array => {
  const opened = openRegularFileSync(path, { what: 'record', maxBytes: RECORD_MAX_BYTES });
  const { fd, stat } = opened;
  if (source !== undefined) source.stat = stat;
  try {
    // One byte more than the size, so a file read whole ends in a short read (no read of 0 bytes).
    const wantedSize = Number(stat.size) + 1;
    let buffer = scratch !== undefined && scratch.buffer.length >= wantedSize ? scratch.buffer : Buffer.allocUnsafe(Math.min(wantedSize, RECORD_MAX_BYTES + 1));
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        // The file grew after the fstat.
        if (length > RECORD_MAX_BYTES) throw invalidRecord(path, `over the ${RECORD_MAX_BYTES}-byte limit for a record file`);
        const bigger = Buffer.allocUnsafe(Math.min(buffer.length * 2, RECORD_MAX_BYTES + 1));
        buffer.copy(bigger, 0, 0, length);
        buffer = bigger;
      }
      const wanted = buffer.length - length;
      const read = readSync(fd, buffer, length, wanted, null);
      length += read;
      // A regular file returns less than asked only at its end.
      if (read < wanted) return buffer.subarray(0, length);
    }
  } catch (error) {
    if (isCaptainError(error)) throw error;
    throw invalidRecord(path, `unreadable (${describeError(error)})`, error);
  } finally {
    closeSync(fd);
  }
};

/**
 * What went wrong in JSON.parse, without quoting the file: V8's messages carry a snippet of the
 * text (`Unexpected token 's', "{"a": secret..." is not valid JSON`), and a record may point at
 * any file, so only the kind of error and the position are kept.
 */
const describeParseError = (message: string): string => {
  if (message.startsWith('Unexpected end of JSON input')) return 'Unexpected end of JSON input';
  if (message.startsWith('Unexpected token')) return 'Unexpected token';
  const head = message.split(' in JSON')[0] ?? '';
  return head.length > 0 && head.length < 80 && !head.includes('"') && head !== message ? head : 'syntax error';
};

/**
 * Reads one JSON record: a regular file (not a FIFO, device, directory or socket; at most
 * RECORD_MAX_BYTES) → strict UTF-8 → JSON.parse → an object at the root, nested at most
 * RECORD_MAX_DEPTH levels (float-form literals of the seed's integer fields marked, see
 * `markFloatLiterals`). Pass a `scratch` (see {@link createReadScratch}) when reading many records
 * in a row: same result, no buffer allocated per file. Pass a `source` to learn what was read (see
 * {@link RecordSource}). Error messages never quote the file's content.
 * @throws CaptainError NOT_FOUND when the file does not exist; INVALID_RECORD (message names the path
 *   and what was wrong, `data: {path, reason}`) for anything else (a dangling symlink, not a regular
 *   file, too large, unreadable, invalid UTF-8, invalid JSON, too deep, a root that is not an object).
 */
export const readJsonObjectSync = (path: string, scratch?: ReadScratch, source?: RecordSource): JsonObject => {
  const text = decodeRecordBytes(path, readRecordBytes(path, scratch, source));
  const record = parseRecordText(path, text);
  if (source !== undefined) source.text = text;
  return record;
};

/**
 * What a record was read from, filled by {@link readJsonObjectSync} when asked (the record cache):
 * the file's identity and times as the open file's fstat saw them, and its text.
 */
export interface RecordSource {
  stat?: Stats;
  text?: string;
}

/** Decodes a record's bytes as strict UTF-8 (the same check a read makes); throws INVALID_RECORD naming `path`. */
export const decodeRecordBytes = (path: string, bytes: Uint8Array): string => {
  try {
    return utf8.decode(bytes);
  } catch (error) {
    throw invalidRecord(path, `not valid UTF-8 (first bad byte at offset ${firstInvalidUtf8Offset(bytes)}); expected one JSON object`, error);
  }
};

/**
 * The record in `text`, a text that already passed {@link parseRecordText} under the same limits
 * (the record cache keeps only such texts, byte for byte): JSON.parse and, when `mayHoldFloat`
 * (what `mayHoldFloatLiteral` said of it), the float-literal marks. Null if it is not an object after all.
 */
export const parseCheckedRecordText = (text: string, mayHoldFloat: boolean): JsonObject | null => {
  const value: unknown = JSON.parse(text);
  if (!isJsonObject(value)) return null;
  if (mayHoldFloat) markFloatLiterals(text, value);
  return value;
};

/**
 * The record in `text` (a record file's whole content), checked as {@link readJsonObjectSync}
 * checks it after the read: JSON.parse, an object at the root, the nesting cap, float literals marked.
 */
export const parseRecordText = (path: string, text: string): JsonObject => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const message = describeError(error);
    const position = parseErrorPosition(message, text);
    const where = position === undefined ? '' : ` at position ${position}`;
    // No `cause`: the SyntaxError's message quotes the content.
    throw invalidRecord(path, `invalid JSON${where} (${describeParseError(message)}); expected one JSON object`);
  }
  if (!isJsonObject(value)) {
    throw invalidRecord(path, `the root is ${describeRoot(value)}; expected one JSON object`);
  }
  if (exceedsNestingDepth(text, RECORD_MAX_DEPTH)) {
    throw invalidRecord(path, `nested more than ${RECORD_MAX_DEPTH} levels deep; expected a record of at most ${RECORD_MAX_DEPTH} levels`);
  }
  // serde_json keeps `10000.0` / `2e4` as f64, which the seed's as_i64 / as_u64 do not read: remember
  // where such literals sit in the fields it reads that way (almost never; the check is cheap).
  if (mayHoldFloatLiteral(text)) markFloatLiterals(text, value);
  return value;
};

const serialize = (value: JsonObject): string => `${JSON.stringify(value, null, 2)}\n`;

const writeFailed = (path: string, error: unknown): CaptainError =>
  new CaptainError('IO', `${path}: could not write the record (${describeError(error)})`, { cause: error, data: { path } });

/**
 * Keeps signal-exit's process handlers installed until the returned function is called. Every
 * write-file-atomic write registers an exit handler (to remove its temp file) and drops it again;
 * with no other handler standing, signal-exit installs and removes its ~15 signal listeners each
 * time (~60 syscalls, ~100 µs a write). Hold them across a burst of writes. signal-exit v4 keeps
 * one emitter per process whatever copy is loaded, so this is the one write-file-atomic uses.
 */
export const holdExitHandlers = (): (() => void) => onExit(() => undefined);

/** Where a record write may land. */
export interface WriteOptions {
  /** The run directory the file must stay inside (after symlinks). @default recordRunDir(path) */
  runDir?: string;
  /** Skip the inside-the-run check (`--allow-outside-paths`). */
  allowOutside?: boolean;
}

/** Every record write goes through the inside-the-run guard first (see `assertWritableInsideRun`). */
export const guardWrite = (path: string, opts: WriteOptions = {}): void => {
  assertWritableInsideRun(opts.runDir ?? recordRunDir(path), path, opts.allowOutside === undefined ? {} : { allowOutside: opts.allowOutside });
};

/**
 * Writes `value` as pretty JSON plus a newline, atomically (write-file-atomic: temp file in the same
 * folder, fsync, rename; an existing file's mode is kept). Creates the parent folder when missing.
 * The file, after symlinks, must lie inside its run directory (`opts.runDir`, by default the one
 * the record layout names, see `recordRunDir`): a symlink never carries the write outside the run.
 * @throws CaptainError PATH_OUTSIDE_RUN when it would not; IO when the write fails.
 */
export const writeJsonAtomicSync = (path: string, value: JsonObject, opts: WriteOptions = {}): void => {
  guardWrite(path, opts);
  const content = serialize(value);
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileAtomic.sync(path, content, { fsync: true });
  } catch (error) {
    throw writeFailed(path, error);
  }
};

/** Async twin of {@link writeJsonAtomicSync}. */
export const writeJsonAtomic = async (path: string, value: JsonObject, opts: WriteOptions = {}): Promise<void> => {
  guardWrite(path, opts);
  const content = serialize(value);
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, content, { fsync: true });
  } catch (error) {
    throw writeFailed(path, error);
  }
};
