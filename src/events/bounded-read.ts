/**
 * Bounded reads of raw events files: a fixed-size head and tail, whatever the file's size.
 * Upstream CCC reads the whole raw log 3-5 times per snapshot; captain reads at most
 * `headBytes + tailBytes` once (one fstat, two positional reads).
 */
import fs from 'node:fs';
import { RAW_EVENTS_HEAD_BYTES, RAW_EVENTS_TAIL_BYTES } from '../config/defaults.js';
import { CaptainError } from '../errors.js';
import { rustLines } from './text.js';

/** The part of a raw events file that parsers see. */
export interface RawText {
  /** The file's first bytes, or the whole file when `whole`. May end in a cut line when not `whole`. */
  head: string;
  /** Whole lines from the file's end (the line cut at the tail's start is dropped); `''` when `whole`. */
  tail: string;
  /** True when `head` is the entire file (nothing skipped, `tail` empty). */
  whole: boolean;
  /** File size in bytes at the time of the fstat. */
  size: number;
}

export interface HeadTail extends RawText {
  mtimeMs: number;
}

const NEWLINE = 0x0a;

const readAt = (fd: number, length: number, position: number): Buffer => {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const read = fs.readSync(fd, buffer, filled, length - filled, position + filled);
    if (read === 0) break; // the file shrank after fstat
    filled += read;
  }
  return filled === length ? buffer : buffer.subarray(0, filled);
};

/** UTF-8 decode that never throws: invalid sequences become U+FFFD. */
const decode = (bytes: Buffer): string => bytes.toString('utf8');

/**
 * Reads the first `headBytes` and the last `tailBytes` of `path` with one fstat and two positional
 * reads, so the cost does not grow with the file. When the file fits in `headBytes + tailBytes` it is
 * read once and returned as `head` with `whole: true`. Otherwise the tail starts at a line boundary:
 * the partial line at its start is dropped (a tail without any newline is empty). Bytes are decoded
 * leniently. Throws `CaptainError('IO')` naming the file when it cannot be opened or read
 * (`data.code` holds the errno code, e.g. `ENOENT`).
 */
export const readHeadTailSync = (
  path: string,
  headBytes: number = RAW_EVENTS_HEAD_BYTES,
  tailBytes: number = RAW_EVENTS_TAIL_BYTES,
): HeadTail => {
  let fd: number;
  try {
    // Non-blocking: a FIFO named like a raw events file must not hang the open (regular files ignore it).
    fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY);
  } catch (error) {
    throw ioError(path, 'open', error);
  }
  try {
    const stat = fs.fstatSync(fd);
    // Only regular files: a FIFO, socket or device (/dev/zero) is refused before any read.
    if (!stat.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOTREG' });
    const size = stat.size;
    const head = Math.max(0, Math.floor(headBytes));
    const tail = Math.max(0, Math.floor(tailBytes));
    if (size <= head + tail) {
      const bytes = readAt(fd, size, 0);
      return { size, mtimeMs: stat.mtimeMs, head: decode(bytes), tail: '', whole: true };
    }
    const headText = head > 0 ? decode(readAt(fd, head, 0)) : '';
    // One byte more than asked, to see whether the tail starts right after a newline.
    const tailStart = size - tail - 1;
    const tailBytesRead = tail > 0 ? readAt(fd, tail + 1, tailStart) : Buffer.alloc(0);
    let from = 1;
    if (tailBytesRead.length > 0 && tailBytesRead[0] !== NEWLINE) {
      const newline = tailBytesRead.indexOf(NEWLINE, 1);
      from = newline === -1 ? tailBytesRead.length : newline + 1;
    }
    const tailText = decode(tailBytesRead.subarray(Math.min(from, tailBytesRead.length)));
    return { size, mtimeMs: stat.mtimeMs, head: headText, tail: tailText, whole: false };
  } catch (error) {
    throw ioError(path, 'read', error);
  } finally {
    fs.closeSync(fd);
  }
};

const ioError = (path: string, action: string, error: unknown): CaptainError => {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return new CaptainError('IO', `cannot ${action} raw events file ${path}: ${message}`, {
    cause: error,
    data: { path, code },
  });
};

/** True when `error` is the `CaptainError` thrown by `readHeadTailSync` for a file that does not exist. */
export const isMissingFileError = (error: unknown): boolean =>
  error instanceof CaptainError && error.data?.code === 'ENOENT';

/**
 * The lines parsers should look at, in file order: the head's lines (without a possibly cut last line
 * when the file was not read whole), then the tail's lines. Lines follow Rust's `str::lines`.
 */
export const rawTextLines = (text: RawText): string[] => {
  if (text.whole) return rustLines(text.head);
  const head = rustLines(text.head);
  // A head that does not end in a newline ends in a line cut by the window.
  if (!text.head.endsWith('\n')) head.pop();
  return head.concat(rustLines(text.tail));
};
