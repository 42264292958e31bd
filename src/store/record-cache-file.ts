/**
 * The record cache's file (format v1), read and written in bounded memory:
 *
 *   `captain-record-cache v1\n`, the texts one after the other (UTF-8), the index
 *   `{"max_bytes": M, "max_depth": D, "entries": [[file name, key, offset, length, sha256 of the
 *   text (base64), flags], ...]}`, and a 32-byte trailer: `<index offset, 15 digits> <index length, 15 digits>\n`.
 *
 * `max_bytes` / `max_depth` are the record limits the texts were checked under (a file written
 * under other limits is not used); flag 1: the text may hold a float literal (`mayHoldFloatLiteral`).
 *
 * Offsets count from the start of the file. A text whose bytes do not match their hash is not
 * used (a damaged file costs a read, never a wrong record). The index sits at the end so a new file can be
 * written while the records are read, before its index is known. Texts are read through one
 * window that slides forward (records are looked up in the order they were written: file name).
 */
import { closeSync, fstatSync, fsyncSync, openSync, readSync, renameSync, unlinkSync, writeSync, constants as fsConstants } from 'node:fs';
import { hash } from 'node:crypto';
import { RECORD_CACHE_MAX_BYTES, RECORD_MAX_BYTES, RECORD_MAX_DEPTH } from '../config/defaults.js';

const MAGIC = 'captain-record-cache v1\n';
const TRAILER_BYTES = 32;
const WINDOW_BYTES = 1024 * 1024;

/** One cached text: where it lies in the file and the key of the file it was read from. */
export interface CacheEntry {
  key: string;
  offset: number;
  length: number;
  sha256: string;
  /** Bit 1: the text may hold a float literal. */
  flags: number;
}

const digest = (bytes: Uint8Array): string => hash('sha256', bytes, 'base64');

type IndexEntry = [name: string, key: string, offset: number, length: number, sha256: string, flags: number];

const isIndexEntry = (value: unknown, start: number, end: number): value is IndexEntry =>
  Array.isArray(value) &&
  value.length === 6 &&
  typeof value[4] === 'string' &&
  (value[5] === 0 || value[5] === 1) &&
  typeof value[0] === 'string' &&
  typeof value[1] === 'string' &&
  Number.isSafeInteger(value[2]) &&
  Number.isSafeInteger(value[3]) &&
  (value[2] as number) >= start &&
  (value[3] as number) >= 0 &&
  (value[2] as number) + (value[3] as number) <= end;

const readExactly = (fd: number, buffer: Buffer, length: number, position: number): boolean => {
  let done = 0;
  while (done < length) {
    const read = readSync(fd, buffer, done, length - done, position + done);
    if (read === 0) return false;
    done += read;
  }
  return true;
};

/** An open cache file: its index, and its texts read on demand. */
export interface CacheFileReader {
  entries: Map<string, CacheEntry>;
  /** The bytes of `entry` (valid until the next call), or null when they cannot be read or do not match their hash. */
  bytes(entry: CacheEntry): Buffer | null;
  close(): void;
}

/**
 * Opens the cache file when it is one this user can trust: a regular file (not a symlink) owned
 * by this user, writable by nobody else, of format v1 with a well-formed index. Null otherwise.
 */
export const openCacheFile = (file: string): CacheFileReader | null => {
  let fd: number;
  try {
    fd = openSync(file, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK | fsConstants.O_NOFOLLOW);
  } catch {
    return null;
  }
  const fail = (): null => {
    closeSync(fd);
    return null;
  };
  try {
    const stat = fstatSync(fd);
    const uid = process.geteuid?.();
    if (!stat.isFile() || stat.size > RECORD_CACHE_MAX_BYTES || stat.size < MAGIC.length + TRAILER_BYTES) return fail();
    if ((uid !== undefined && stat.uid !== uid) || (stat.mode & 0o022) !== 0) return fail();
    const head = Buffer.alloc(Math.max(MAGIC.length, TRAILER_BYTES));
    if (!readExactly(fd, head, MAGIC.length, 0) || head.toString('latin1', 0, MAGIC.length) !== MAGIC) return fail();
    if (!readExactly(fd, head, TRAILER_BYTES, stat.size - TRAILER_BYTES)) return fail();
    const trailer = /^(\d{15}) (\d{15})\n$/.exec(head.toString('latin1', 0, TRAILER_BYTES));
    const indexOffset = Number(trailer?.[1]);
    const indexLength = Number(trailer?.[2]);
    if (trailer === null || indexOffset < MAGIC.length || indexOffset + indexLength + TRAILER_BYTES !== stat.size) return fail();
    const indexBytes = Buffer.allocUnsafe(indexLength);
    if (!readExactly(fd, indexBytes, indexLength, indexOffset)) return fail();
    const index = JSON.parse(indexBytes.toString('utf8')) as { entries?: unknown; max_bytes?: unknown; max_depth?: unknown };
    if (typeof index !== 'object' || index === null || !Array.isArray(index.entries)) return fail();
    if (index.max_bytes !== RECORD_MAX_BYTES || index.max_depth !== RECORD_MAX_DEPTH) return fail();
    const entries = new Map<string, CacheEntry>();
    for (const entry of index.entries as unknown[]) {
      if (!isIndexEntry(entry, MAGIC.length, indexOffset)) return fail();
      entries.set(entry[0], { key: entry[1], offset: entry[2], length: entry[3], sha256: entry[4], flags: entry[5] });
    }
    let window = Buffer.allocUnsafe(0);
    let windowStart = 0;
    let windowLength = 0;
    let open = true;
    return {
      entries,
      bytes: (entry) => {
        if (!open) return null;
        if (entry.offset < windowStart || entry.offset + entry.length > windowStart + windowLength) {
          const size = Math.min(Math.max(WINDOW_BYTES, entry.length), indexOffset - entry.offset);
          if (window.length < size) window = Buffer.allocUnsafe(Math.max(size, WINDOW_BYTES));
          try {
            if (!readExactly(fd, window, size, entry.offset)) return null;
          } catch {
            return null;
          }
          windowStart = entry.offset;
          windowLength = size;
        }
        const from = entry.offset - windowStart;
        const bytes = window.subarray(from, from + entry.length);
        return digest(bytes) === entry.sha256 ? bytes : null;
      },
      close: () => {
        if (open) closeSync(fd);
        open = false;
      },
    };
  } catch {
    return fail();
  }
};

/** A cache file being written: texts appended as they come, the index at the end. */
export interface CacheFileWriter {
  /** Appends a text (or bytes) filed under `name` and `key`, with its flags (see the format). */
  append(name: string, key: string, content: string | Uint8Array, flags: number): void;
  /** How many entries so far. */
  readonly count: number;
  /** Writes the index and trailer, fsyncs, and renames the file into place. */
  commit(): void;
  /** Drops the temp file. */
  abort(): void;
}

/** Starts writing a new cache file next to `file` (a temp file, mode 0600, renamed over `file` on commit). */
export const createCacheFile = (file: string): CacheFileWriter => {
  const temp = `${file}.${process.pid}.${Date.now().toString(36)}.tmp`;
  const fd = openSync(temp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, 0o600);
  const chunk = Buffer.allocUnsafe(WINDOW_BYTES);
  const index: IndexEntry[] = [];
  let used = 0;
  let position = 0;
  let done = false;
  const flush = (): void => {
    let written = 0;
    while (written < used) written += writeSync(fd, chunk, written, used - written);
    used = 0;
  };
  /** Appends `content`; returns the bytes appended (valid until the next put). */
  const put = (content: string | Uint8Array): Uint8Array => {
    if (typeof content === 'string') {
      // A text whose UTF-8 surely fits the room left is encoded in place.
      if (content.length * 3 <= chunk.length - used) {
        const length = chunk.write(content, used, 'utf8');
        used += length;
        position += length;
        return chunk.subarray(used - length, used);
      }
      return put(Buffer.from(content, 'utf8'));
    }
    if (used + content.length > chunk.length) flush();
    if (content.length > chunk.length) {
      let written = 0;
      while (written < content.length) written += writeSync(fd, content, written, content.length - written);
    } else {
      chunk.set(content, used);
      used += content.length;
    }
    position += content.length;
    return content;
  };
  const abort = (): void => {
    if (done) return;
    done = true;
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    try {
      unlinkSync(temp);
    } catch {
      // nothing to remove
    }
  };
  put(MAGIC);
  return {
    append: (name, key, content, flags) => {
      const offset = position;
      const bytes = put(content);
      index.push([name, key, offset, bytes.length, digest(bytes), flags]);
    },
    get count() {
      return index.length;
    },
    commit: () => {
      try {
        const indexOffset = position;
        const indexLength = put(JSON.stringify({ max_bytes: RECORD_MAX_BYTES, max_depth: RECORD_MAX_DEPTH, entries: index })).length;
        put(`${String(indexOffset).padStart(15, '0')} ${String(indexLength).padStart(15, '0')}\n`);
        flush();
        fsyncSync(fd);
        closeSync(fd);
        done = true;
        renameSync(temp, file);
      } catch (error) {
        done = false;
        abort();
        throw error;
      }
    },
    abort,
  };
};
