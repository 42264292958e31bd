/**
 * The record cache's file (format v3), read and written in bounded memory:
 *
 *   `captain-record-cache v3\n`
 *   the entries' contents, one after the other (UTF-8)
 *   the index: `limits\t<max bytes>\t<max depth>\t<view key, 44 characters>\t<entries, 12 digits>\n`, then one line per entry, in file-name order:
 *     `<file name>\t<key>\t<offset>\t<length>\t<CRC-32 of the content, 8 hex digits>\t<flags>\n`
 *   a 32-byte trailer: `<index offset, 15 digits> <index length, 15 digits>\n`
 *
 * Offsets count from the start of the file. The limits are the record limits the texts were
 * checked under (a file written under other limits is not used). An entry is a record's text, or
 * (flag 2) what a caller derived from it (a view, see record-cache.ts), which is only used when the
 * file's view key is the reader's (the same derivation, under the same config); flag 1: the text
 * may hold a float literal (`mayHoldFloatLiteral`); flag 4: the record has no view (not asked again). Content that does not match its CRC-32 is not
 * used (a damaged file costs a read, never a wrong record; the file is this user's own, mode 0600, so
 * the check is for damage, not for an adversary, who could as well change the records). The index sits at the end, so a new
 * file is written while the records are read; it is in file-name order, the order status reads
 * them, so lookups walk it once (a merge with the listing): no index is held in memory, only two
 * windows.
 */
import { crc32 } from 'node:zlib';
import { closeSync, fstatSync, fsyncSync, openSync, readSync, renameSync, unlinkSync, writeSync, constants as fsConstants } from 'node:fs';
import { RECORD_CACHE_MAX_BYTES, RECORD_MAX_BYTES, RECORD_MAX_DEPTH } from '../config/defaults.js';

const MAGIC = 'captain-record-cache v3\n';
const TRAILER_BYTES = 32;
const WINDOW_BYTES = 1024 * 1024;
const NEWLINE = 10;
const LIMITS = `limits\t${RECORD_MAX_BYTES}\t${RECORD_MAX_DEPTH}\t`;
/** The length of a view key (a SHA-256 in base64). */
export const VIEW_KEY_LENGTH = 44;
/** The index's first line: the limits, the view key and the number of entries. */
const HEADER_BYTES = LIMITS.length + VIEW_KEY_LENGTH + 1 + 13;
/** Entry flags. */
export const ENTRY_FLOAT_LITERAL = 1;
export const ENTRY_VIEW = 2;
/** A text whose record has no view (a caller declined to make one): not asked again while unchanged. */
export const ENTRY_NO_VIEW = 4;

/** One cached text: its file name, the key of the file it was read from, and where it lies. */
export interface CacheEntry {
  name: string;
  key: string;
  offset: number;
  length: number;
  /** CRC-32 of the content (8 hex digits in the file). */
  crc: number;
  /** ENTRY_FLOAT_LITERAL, ENTRY_VIEW. */
  flags: number;
}

const digest = (bytes: Uint8Array): string => crc32(bytes).toString(16).padStart(8, '0');

const TAB = 0x09;

/** The decimal integer written in `bytes[from, to)` (at most 15 digits, nothing else), or -1. */
const decimalAt = (bytes: Uint8Array, from: number, to: number): number => {
  if (from >= to || to - from > 15) return -1;
  let value = 0;
  for (let i = from; i < to; i += 1) {
    const digit = (bytes[i] as number) - 0x30;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
};

/** The CRC-32 written in `bytes[from, to)` as `digest` writes it (8 lowercase hex digits), or -1. */
const crc32At = (bytes: Uint8Array, from: number, to: number): number => {
  if (to - from !== 8) return -1;
  let value = 0;
  for (let i = from; i < to; i += 1) {
    const c = bytes[i] as number;
    const nibble = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
    if (nibble < 0) return -1;
    value = value * 16 + nibble;
  }
  return value;
};

/** Whether `name` can be written as an index field (no tab, no newline). */
export const isIndexableName = (name: string): boolean => !name.includes('\t') && !name.includes('\n');

const readExactly = (fd: number, buffer: Buffer, length: number, position: number): boolean => {
  let done = 0;
  while (done < length) {
    const read = readSync(fd, buffer, done, length - done, position + done);
    if (read === 0) return false;
    done += read;
  }
  return true;
};

/**
 * A window over a region of the file (up to `regionEnd`), read forward on demand. `loaded`, when
 * given, is asked after each read whether what it read can be used.
 */
const windowOver = (fd: number, regionEnd: number, loaded?: () => boolean) => {
  let buffer = Buffer.allocUnsafe(0);
  let start = 0;
  let length = 0;
  const load = (offset: number, size: number): boolean => {
    const want = Math.min(Math.max(WINDOW_BYTES, size), regionEnd - offset);
    if (buffer.length < want) buffer = Buffer.allocUnsafe(Math.max(want, WINDOW_BYTES));
    try {
      if (!readExactly(fd, buffer, want, offset) || (loaded !== undefined && !loaded())) return false;
    } catch {
      return false;
    }
    start = offset;
    length = want;
    return true;
  };
  return {
    /** `size` bytes at `offset` (valid until the next call), or null past the region or on a read error. */
    at(offset: number, size: number): Buffer | null {
      if (offset < 0 || size < 0 || offset + size > regionEnd) return null;
      if ((offset < start || offset + size > start + length) && !load(offset, size)) return null;
      return buffer.subarray(offset - start, offset - start + size);
    },
    /** The offset of the first newline at or after `offset` (lines are short: none within a window is -1). */
    newline(offset: number): number {
      if (offset >= regionEnd) return -1;
      if ((offset < start || offset >= start + length) && !load(offset, 0)) return -1;
      const found = buffer.subarray(0, length).indexOf(NEWLINE, offset - start);
      if (found !== -1) return start + found;
      if (start === offset || !load(offset, 0)) return -1;
      const again = buffer.subarray(0, length).indexOf(NEWLINE);
      return again === -1 ? -1 : start + again;
    },
  };
};

/** Reads the index line by line from `start` to `end`; null at its end or at the first malformed line. */
const indexCursor = (fd: number, start: number, end: number, bodyEnd: number) => {
  const window = windowOver(fd, end);
  let position = start;
  return (): CacheEntry | null => {
    if (position >= end) return null;
    const lineEnd = window.newline(position);
    if (lineEnd === -1) return null;
    const line = window.at(position, lineEnd - position);
    position = lineEnd + 1;
    if (line === null) return null;
    // name \t key \t offset \t length \t crc \t flags, read from the bytes (no line string, no split).
    const tabs: number[] = [];
    for (let at = line.indexOf(TAB); at !== -1 && tabs.length < 6; at = line.indexOf(TAB, at + 1)) tabs.push(at);
    if (tabs.length !== 5) return null;
    const [t1, t2, t3, t4, t5] = tabs as [number, number, number, number, number];
    const offset = decimalAt(line, t2 + 1, t3);
    const length = decimalAt(line, t3 + 1, t4);
    const crc = crc32At(line, t4 + 1, t5);
    const flags = decimalAt(line, t5 + 1, line.length);
    if (offset < MAGIC.length || length < 0 || offset + length > bodyEnd || crc < 0 || flags < 0) return null;
    const textFlags = flags & ~ENTRY_NO_VIEW;
    if ((flags !== ENTRY_VIEW && textFlags !== 0 && textFlags !== ENTRY_FLOAT_LITERAL) || t1 === 0 || t2 === t1 + 1) return null;
    return { name: line.toString('utf8', 0, t1), key: line.toString('latin1', t1 + 1, t2), offset, length, crc, flags };
  };
};

/** An open cache file. */
export interface CacheFileReader {
  /**
   * The entry filed under `name`. Names must be asked in ascending order (`<`), as the index is
   * written: the index is walked once; a name asked out of order is simply not found.
   */
  lookup(name: string): CacheEntry | undefined;
  /** The bytes of `entry` (valid until the next call), or null when they cannot be read or do not match their CRC-32. */
  bytes(entry: CacheEntry): Buffer | null;
  /**
   * `length` bytes at `offset` of the file, through a window of their own (valid until the next
   * `region` call; `bytes` does not disturb it), or null when they cannot be read or the file is
   * no longer as opened (its fstat: inode, size, mtime to the nanosecond). For reading again,
   * later, part of an entry whose CRC-32 `bytes` checked: the file is replaced, never written in
   * place, so the open file gives the same bytes (the fstat turns down one written in place
   * meanwhile; one replaced by rename is still the file opened).
   */
  region(offset: number, length: number): Buffer | null;
  /** Every entry, in index order (a walk of its own, for rewriting the file). */
  entries(): Iterable<CacheEntry>;
  /** How many entries the index holds. */
  readonly count: number;
  /** The view key the file was written under. */
  readonly viewKey: string;
  close(): void;
}

/**
 * Opens the cache file when it is one this user can trust: a regular file (not a symlink) owned
 * by this user, writable by nobody else, of format v3 under the current record limits. Null otherwise.
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
    const head = Buffer.alloc(Math.max(MAGIC.length, TRAILER_BYTES, HEADER_BYTES));
    if (!readExactly(fd, head, MAGIC.length, 0) || head.toString('latin1', 0, MAGIC.length) !== MAGIC) return fail();
    if (!readExactly(fd, head, TRAILER_BYTES, stat.size - TRAILER_BYTES)) return fail();
    const trailer = /^(\d{15}) (\d{15})\n$/.exec(head.toString('latin1', 0, TRAILER_BYTES));
    const indexOffset = Number(trailer?.[1]);
    const indexLength = Number(trailer?.[2]);
    if (trailer === null || indexOffset < MAGIC.length || indexOffset + indexLength + TRAILER_BYTES !== stat.size) return fail();
    if (indexLength < HEADER_BYTES || !readExactly(fd, head, HEADER_BYTES, indexOffset) || head.toString('latin1', 0, LIMITS.length) !== LIMITS) return fail();
    const rest = /^([A-Za-z0-9+/=]{44})\t(\d{12})\n$/.exec(head.toString('latin1', LIMITS.length, HEADER_BYTES));
    if (rest === null) return fail();
    const viewKey = rest[1] as string;
    const count = Number(rest[2]);
    const indexStart = indexOffset + HEADER_BYTES;
    const indexEnd = indexOffset + indexLength;
    const body = windowOver(fd, indexOffset);
    const next = indexCursor(fd, indexStart, indexEnd, indexOffset);
    const opened = fstatSync(fd, { bigint: true });
    const unchanged = (): boolean => {
      const now = fstatSync(fd, { bigint: true });
      // Not the ctime: a rename over the file (another status saving its cache) moves it on this inode too.
      return now.ino === opened.ino && now.size === opened.size && now.mtimeNs === opened.mtimeNs;
    };
    const again = windowOver(fd, indexOffset, unchanged);
    let current: CacheEntry | null | undefined;
    let open = true;
    return {
      count,
      viewKey,
      lookup: (name) => {
        if (!open) return undefined;
        if (current === undefined) current = next();
        while (current !== null && current.name < name) current = next();
        return current !== null && current.name === name ? current : undefined;
      },
      bytes: (entry) => {
        if (!open) return null;
        const bytes = body.at(entry.offset, entry.length);
        return bytes !== null && crc32(bytes) === entry.crc ? bytes : null;
      },
      region: (offset, length) => (open ? again.at(offset, length) : null),
      entries: function* () {
        const walk = indexCursor(fd, indexStart, indexEnd, indexOffset);
        for (let entry = walk(); entry !== null && open; entry = walk()) yield entry;
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

/** A cache file being written: texts appended as they come (in file-name order), the index at the end. */
export interface CacheFileWriter {
  /** Appends a text (or bytes) filed under `name` (see {@link isIndexableName}) and `key`, with its flags. */
  append(name: string, key: string, content: string | Uint8Array, flags: number): void;
  /** How many entries so far. */
  readonly count: number;
  /** Writes the index and trailer, fsyncs, and renames the file into place. */
  commit(): void;
  /** Drops the temp file. */
  abort(): void;
}

/** Starts writing a new cache file next to `file` (a temp file, mode 0600, renamed over `file` on commit), under `viewKey` (VIEW_KEY_LENGTH characters of base64). */
export const createCacheFile = (file: string, viewKey: string): CacheFileWriter => {
  if (!/^[A-Za-z0-9+/=]{44}$/.test(viewKey)) throw new Error(`a view key is ${VIEW_KEY_LENGTH} characters of base64, not ${JSON.stringify(viewKey)}`);
  const temp = `${file}.${process.pid}.${Date.now().toString(36)}.tmp`;
  const fd = openSync(temp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, 0o600);
  const chunk = Buffer.allocUnsafe(WINDOW_BYTES);
  /** The index lines, joined when committed (one short line per record). */
  const index: string[] = [];
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
      if (!isIndexableName(name)) return;
      const offset = position;
      const bytes = put(content);
      index.push(`${name}\t${key}\t${offset}\t${bytes.length}\t${digest(bytes)}\t${flags}\n`);
    },
    get count() {
      return index.length;
    },
    commit: () => {
      try {
        const indexOffset = position;
        let indexLength = put(`${LIMITS}${viewKey}\t${String(index.length).padStart(12, '0')}\n`).length;
        for (const line of index) indexLength += put(line).length;
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
