/**
 * The record cache of `captain status`: `<run>/.captain-cache/records.v1.bin` holds the text of
 * each delegation file as last read, keyed by what proves the file unchanged since (device, inode,
 * size, mtime and ctime in nanoseconds, from a `bigint` stat). An unchanged record then costs one
 * `stat` instead of open + fstat + read + close + decode; its text is parsed and checked exactly
 * as a read parses it (`parseRecordText`), so what status derives from it is the same, byte for
 * byte. Anything in doubt reads the file: no cache file, a different format, a file not owned by
 * this user or writable by others, a bad index, a key that differs, a stat that fails or finds no
 * regular file. A file is only cached when its mtime and ctime are RECORD_CACHE_RACY_MARGIN_MS older
 * than the read (a rewrite within one timestamp tick, same size, must not look unchanged).
 *
 * File format v1: the line `captain-record-cache v1`, one line of JSON index
 * `{"body_bytes": N, "entries": [[file name, key, offset, length], ...]}`, then N bytes: the files'
 * texts (UTF-8) one after the other. Safe to delete at any time.
 */
import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readSync, renameSync, unlinkSync, writeSync, constants as fsConstants, statSync, type BigIntStats } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { RECORD_CACHE_MAX_BYTES, RECORD_CACHE_RACY_MARGIN_MS, RECORD_CACHE_REWRITE_SHARE, RECORD_MAX_BYTES } from '../config/defaults.js';
import { describeError } from '../errors.js';
import { decodeRecordBytes, guardWrite, parseRecordText, type ReadScratch, type RecordSource } from './json-file.js';
import { runLayout } from './paths.js';
import { readRecordFile, type RecordFileRead } from './records.js';

const MAGIC = 'captain-record-cache v1\n';

/** `<run>/.captain-cache/records.v1.bin`. */
export const recordCacheFile = (runDir: string): string => join(runDir, '.captain-cache', 'records.v1.bin');

export interface RecordCacheOptions {
  /** Wall clock for the racy check (tests). @default Date.now */
  wallClock?: () => number;
  /** @default RECORD_CACHE_RACY_MARGIN_MS */
  racyMarginMs?: number;
  /** @default RECORD_CACHE_REWRITE_SHARE */
  rewriteShare?: number;
}

/** What a {@link RecordCache} did so far. */
export interface RecordCacheCounts {
  /** Files served from the cache (a stat, no read). */
  hits: number;
  /** Files read (not in the cache, changed, or in doubt). */
  misses: number;
  /** Of the misses, those the cache can keep (old enough, read whole). */
  storable: number;
  /** Whether a usable cache file was found. */
  loaded: boolean;
}

export interface RecordCacheSave {
  written: boolean;
  /** Why not, or what failed. */
  reason?: string;
  entries: number;
}

export interface RecordCache {
  readonly file: string;
  /** `readRecordFile` for a delegation file, from the cache when it proves the file unchanged. */
  read(path: string, scratch: ReadScratch): RecordFileRead;
  /** Writes the cache file (atomically) when enough changed since it was loaded; never throws. */
  save(): RecordCacheSave;
  counts(): RecordCacheCounts;
}

interface StoredEntry {
  key: string;
  offset: number;
  length: number;
}

/** A file the next cache file keeps: from the loaded cache's body, or a text read now. */
type KeptEntry = { name: string; key: string; from: 'body'; offset: number; length: number } | { name: string; key: string; from: 'text'; text: string };

const keyOf = (stat: BigIntStats): string => `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}`;

const isIndexEntry = (value: unknown, bodyBytes: number): value is [string, string, number, number] =>
  Array.isArray(value) &&
  value.length === 4 &&
  typeof value[0] === 'string' &&
  typeof value[1] === 'string' &&
  Number.isSafeInteger(value[2]) &&
  Number.isSafeInteger(value[3]) &&
  (value[2] as number) >= 0 &&
  (value[3] as number) >= 0 &&
  (value[2] as number) + (value[3] as number) <= bodyBytes;

const READ_FLAGS = fsConstants.O_RDONLY | fsConstants.O_NONBLOCK | fsConstants.O_NOFOLLOW;

/** The cache file's index and body, or null when there is none or it is in any doubt. */
const loadCacheFile = (file: string): { entries: Map<string, StoredEntry>; body: Buffer } | null => {
  let fd: number;
  try {
    fd = openSync(file, READ_FLAGS);
  } catch {
    return null;
  }
  try {
    const stat = fstatSync(fd);
    const uid = process.geteuid?.();
    if (!stat.isFile() || stat.size > RECORD_CACHE_MAX_BYTES || (uid !== undefined && stat.uid !== uid) || (stat.mode & 0o022) !== 0) return null;
    const buffer = Buffer.allocUnsafe(stat.size);
    let length = 0;
    while (length < buffer.length) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) return null;
      length += read;
    }
    if (buffer.toString('latin1', 0, MAGIC.length) !== MAGIC) return null;
    const indexEnd = buffer.indexOf(10, MAGIC.length);
    if (indexEnd === -1) return null;
    const index = JSON.parse(buffer.toString('utf8', MAGIC.length, indexEnd)) as unknown;
    if (typeof index !== 'object' || index === null) return null;
    const { body_bytes: bodyBytes, entries } = index as { body_bytes?: unknown; entries?: unknown };
    const body = buffer.subarray(indexEnd + 1);
    if (bodyBytes !== body.length || !Array.isArray(entries)) return null;
    const map = new Map<string, StoredEntry>();
    for (const entry of entries) {
      if (!isIndexEntry(entry, body.length)) return null;
      map.set(entry[0], { key: entry[1], offset: entry[2], length: entry[3] });
    }
    return { entries: map, body };
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
};

/** Writes `pieces` to `file` atomically and durably (temp file, fsync, rename), mode 0600. */
const writeCacheFile = (file: string, header: string, kept: readonly KeptEntry[], body: Buffer | null): void => {
  const temp = `${file}.${process.pid}.${Date.now().toString(36)}.tmp`;
  const fd = openSync(temp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, 0o600);
  let renamed = false;
  try {
    const chunk = Buffer.allocUnsafe(1024 * 1024);
    let used = 0;
    const flush = (): void => {
      let done = 0;
      while (done < used) done += writeSync(fd, chunk, done, used - done);
      used = 0;
    };
    const put = (bytes: Uint8Array): void => {
      if (bytes.length > chunk.length) {
        flush();
        let done = 0;
        while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
        return;
      }
      if (used + bytes.length > chunk.length) flush();
      chunk.set(bytes, used);
      used += bytes.length;
    };
    const putText = (text: string): void => {
      // Most record texts fit the chunk's free room as they are: encode in place.
      if (text.length * 3 <= chunk.length - used) {
        used += chunk.write(text, used, 'utf8');
        return;
      }
      put(Buffer.from(text, 'utf8'));
    };
    putText(header);
    for (const entry of kept) {
      if (entry.from === 'text') putText(entry.text);
      else if (body !== null) put(body.subarray(entry.offset, entry.offset + entry.length));
    }
    flush();
    fsyncSync(fd);
    closeSync(fd);
    renameSync(temp, file);
    renamed = true;
  } finally {
    if (!renamed) {
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
    }
  }
};

/**
 * The record cache of the run at `runDir` (see the module comment). Loaded on the first read;
 * `save` after the answer is out.
 */
export const openRecordCache = (runDir: string, opts: RecordCacheOptions = {}): RecordCache => {
  const file = recordCacheFile(runDir);
  const prefix = `${runLayout(runDir).delegationsDir}${sep}`;
  const wallClock = opts.wallClock ?? Date.now;
  const marginMs = opts.racyMarginMs ?? RECORD_CACHE_RACY_MARGIN_MS;
  const share = opts.rewriteShare ?? RECORD_CACHE_REWRITE_SHARE;
  let loaded: { entries: Map<string, StoredEntry>; body: Buffer } | null | undefined;
  const kept = new Map<string, KeptEntry>();
  const counts: RecordCacheCounts = { hits: 0, misses: 0, storable: 0, loaded: false };
  let seen = 0;

  const load = (): { entries: Map<string, StoredEntry>; body: Buffer } | null => {
    if (loaded === undefined) {
      loaded = loadCacheFile(file);
      counts.loaded = loaded !== null;
    }
    return loaded;
  };

  const fromCache = (path: string, name: string): RecordFileRead | undefined => {
    const stored = load()?.entries.get(name);
    if (stored === undefined || loaded == null) return undefined;
    let stat: BigIntStats | undefined;
    try {
      stat = statSync(path, { bigint: true, throwIfNoEntry: false });
    } catch {
      return undefined;
    }
    if (stat === undefined || !stat.isFile() || stat.size > BigInt(RECORD_MAX_BYTES)) return undefined;
    const key = keyOf(stat);
    if (key !== stored.key) return undefined;
    try {
      const text = decodeRecordBytes(path, loaded.body.subarray(stored.offset, stored.offset + stored.length));
      const record = parseRecordText(path, text);
      kept.set(name, { name, key, from: 'body', offset: stored.offset, length: stored.length });
      return { record };
    } catch {
      return undefined;
    }
  };

  const read = (path: string, scratch: ReadScratch): RecordFileRead => {
    const name = path.slice(prefix.length);
    if (!path.startsWith(prefix) || name.includes(sep) || name === '') return readRecordFile(path, scratch);
    seen += 1;
    const hit = fromCache(path, name);
    if (hit !== undefined) {
      counts.hits += 1;
      return hit;
    }
    counts.misses += 1;
    const readAtMs = wallClock();
    const source: RecordSource = {};
    const result = readRecordFile(path, scratch, source);
    const { stat, text } = source;
    if (result !== null && 'record' in result && stat !== undefined && text !== undefined) {
      const limitNs = BigInt(Math.floor(readAtMs - marginMs)) * 1_000_000n;
      // Read whole (the text is as long as the file was) and old enough to be sure of.
      if (stat.mtimeNs < limitNs && stat.ctimeNs < limitNs && Buffer.byteLength(text, 'utf8') === Number(stat.size)) {
        kept.set(name, { name, key: keyOf(stat), from: 'text', text });
        counts.storable += 1;
      }
    }
    return result;
  };

  const save = (): RecordCacheSave => {
    const cache = loaded ?? null;
    const entries = kept.size;
    let changed = counts.storable;
    if (cache !== null) {
      for (const name of cache.entries.keys()) if (!kept.has(name)) changed += 1;
    }
    const threshold = Math.max(1, Math.ceil(seen * share));
    if (cache !== null ? changed < threshold : entries === 0) return { written: false, reason: `${changed} changed entries, under ${threshold}`, entries };
    const list = [...kept.values()];
    const index: [string, string, number, number][] = [];
    let offset = 0;
    for (const entry of list) {
      const length = entry.from === 'text' ? Buffer.byteLength(entry.text, 'utf8') : entry.length;
      index.push([entry.name, entry.key, offset, length]);
      offset += length;
    }
    const header = `${MAGIC}${JSON.stringify({ body_bytes: offset, entries: index })}\n`;
    if (offset + header.length > RECORD_CACHE_MAX_BYTES) return { written: false, reason: 'over RECORD_CACHE_MAX_BYTES', entries };
    try {
      guardWrite(file, { runDir });
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      writeCacheFile(file, header, list, cache?.body ?? null);
      return { written: true, entries };
    } catch (error) {
      return { written: false, reason: describeError(error), entries };
    }
  };

  return { file, read, save, counts: () => ({ ...counts }) };
};
