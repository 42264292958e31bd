/**
 * The record cache of `captain status`: `<run>/.captain-cache/records.v1.bin` holds the text of
 * each delegation file as last read, keyed by what proves the file unchanged since (device, inode,
 * size, mtime and ctime in nanoseconds, from a `bigint` stat). An unchanged record then costs one
 * `stat` instead of open + fstat + read + close, and is parsed from the very text the read that
 * stored it had checked (each text is kept with its SHA-256 and the record limits it was checked
 * under; float-literal marks are redone), so what status derives from it is the same, byte for byte.
 * Anything in doubt reads the file: no cache file, another format or limits, a file not owned by
 * this user or writable by others, a bad index or hash, a key that differs, a stat that fails or
 * finds no regular file. A file is only cached when its mtime and ctime are
 * RECORD_CACHE_RACY_MARGIN_MS older than the read (a rewrite within one timestamp tick, same size,
 * must not look unchanged).
 *
 * Without a usable cache file, a new one is written while the records are read and committed by
 * `save`; with one, `save` rewrites it only when enough changed. The format is in
 * record-cache-file.ts. Safe to delete at any time.
 */
import { mkdirSync, statSync, type BigIntStats } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { RECORD_CACHE_RACY_MARGIN_MS, RECORD_CACHE_REWRITE_SHARE, RECORD_MAX_BYTES } from '../config/defaults.js';
import { describeError } from '../errors.js';
import { guardWrite, parseCheckedRecordText, type ReadScratch, type RecordSource } from './json-file.js';
import { mayHoldFloatLiteral } from '../util/json.js';
import { runLayout } from './paths.js';
import { createCacheFile, isIndexableName, openCacheFile, type CacheFileReader, type CacheFileWriter } from './record-cache-file.js';
import { readRecordFile, type RecordFileRead } from './records.js';

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
  /** Writes the cache file (atomically) when enough changed since it was loaded; never throws. Call once, after the answer is out. */
  save(): RecordCacheSave;
  /** Drops what was started (a half-written cache file) without saving; for when the status failed. */
  discard(): void;
  counts(): RecordCacheCounts;
}

/** A text read now that the next cache file would keep. */
interface PendingText {
  name: string;
  key: string;
  text: string;
  flags: number;
}

const MAX_RECORD_BYTES = BigInt(RECORD_MAX_BYTES);

const keyOf = (stat: BigIntStats): string => `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}`;

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
  const counts: RecordCacheCounts = { hits: 0, misses: 0, storable: 0, loaded: false };
  let started = false;
  let reader: CacheFileReader | null = null;
  /** Without a usable cache file, a new one is written as the records are read (nothing held). */
  let writer: CacheFileWriter | null = null;
  /** With one: the names served from it and the texts read now, written only if enough changed. */
  const hitNames = new Set<string>();
  const pending: PendingText[] = [];
  let seen = 0;

  const start = (): void => {
    started = true;
    reader = openCacheFile(file);
    counts.loaded = reader !== null;
    if (reader !== null) return;
    try {
      guardWrite(file, { runDir });
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      writer = createCacheFile(file);
    } catch {
      writer = null; // a read-only run: no cache
    }
  };

  const fromCache = (path: string, name: string, cache: CacheFileReader): RecordFileRead | undefined => {
    const stored = cache.lookup(name);
    if (stored === undefined) return undefined;
    let stat: BigIntStats | undefined;
    try {
      stat = statSync(path, { bigint: true, throwIfNoEntry: false });
    } catch {
      return undefined;
    }
    if (stat === undefined || !stat.isFile() || stat.size > MAX_RECORD_BYTES) return undefined;
    const key = keyOf(stat);
    if (key !== stored.key) return undefined;
    // The bytes match their hash: they are the text a read checked when it was stored.
    const bytes = cache.bytes(stored);
    if (bytes === null) return undefined;
    try {
      const record = parseCheckedRecordText(bytes.toString('utf8'), (stored.flags & 1) === 1);
      if (record === null) return undefined;
      hitNames.add(name);
      return { record };
    } catch {
      return undefined;
    }
  };

  const read = (path: string, scratch: ReadScratch): RecordFileRead => {
    const name = path.slice(prefix.length);
    if (!path.startsWith(prefix) || name.includes(sep) || name === '' || !isIndexableName(name)) return readRecordFile(path, scratch);
    if (!started) start();
    seen += 1;
    const hit = reader === null ? undefined : fromCache(path, name, reader);
    if (hit !== undefined) {
      counts.hits += 1;
      return hit;
    }
    counts.misses += 1;
    const readAtMs = wallClock();
    const source: RecordSource = {};
    const result = readRecordFile(path, scratch, source);
    const { stat, text } = source;
    if (result !== null && 'record' in result && stat !== undefined && text !== undefined && (reader !== null || writer !== null)) {
      const limitNs = BigInt(Math.floor(readAtMs - marginMs)) * 1_000_000n;
      // Old enough to be sure of, and read whole (the text is as long as the file was).
      if (stat.mtimeNs < limitNs && stat.ctimeNs < limitNs && Buffer.byteLength(text, 'utf8') === Number(stat.size)) {
        counts.storable += 1;
        const key = keyOf(stat);
        const flags = mayHoldFloatLiteral(text) ? 1 : 0;
        if (writer !== null) {
          try {
            writer.append(name, key, text, flags);
          } catch {
            writer.abort();
            writer = null;
          }
        } else {
          pending.push({ name, key, text, flags });
        }
      }
    }
    return result;
  };

  const rewrite = (cache: CacheFileReader): RecordCacheSave => {
    const changed = counts.storable + (cache.count - hitNames.size);
    const entries = hitNames.size + pending.length;
    const threshold = Math.max(1, Math.ceil(seen * share));
    if (changed < threshold) return { written: false, reason: `${changed} changed entries, under ${threshold}`, entries };
    let next: CacheFileWriter | undefined;
    try {
      guardWrite(file, { runDir });
      const writer = createCacheFile(file);
      next = writer;
      // Both in file-name order: merge them.
      const texts = pending.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      let t = 0;
      const appendText = (): void => {
        const text = texts[t++] as PendingText;
        writer.append(text.name, text.key, text.text, text.flags);
      };
      for (const entry of cache.entries()) {
        while (t < texts.length && (texts[t] as PendingText).name < entry.name) appendText();
        if (t < texts.length && (texts[t] as PendingText).name === entry.name) {
          appendText();
          continue;
        }
        if (!hitNames.has(entry.name)) continue;
        const bytes = cache.bytes(entry);
        if (bytes === null) throw new Error('the cache file could not be read again');
        writer.append(entry.name, entry.key, bytes, entry.flags);
      }
      while (t < texts.length) appendText();
      writer.commit();
      return { written: true, entries: writer.count };
    } catch (error) {
      next?.abort();
      return { written: false, reason: describeError(error), entries };
    }
  };

  const save = (): RecordCacheSave => {
    try {
      if (reader !== null) return rewrite(reader);
      if (writer === null) return { written: false, reason: 'no cache file could be started', entries: 0 };
      const entries = writer.count;
      if (entries === 0) {
        writer.abort();
        return { written: false, reason: 'nothing to cache yet', entries };
      }
      try {
        writer.commit();
        return { written: true, entries };
      } catch (error) {
        return { written: false, reason: describeError(error), entries };
      }
    } finally {
      reader?.close();
      reader = null;
      writer = null;
    }
  };

  const discard = (): void => {
    reader?.close();
    writer?.abort();
    reader = null;
    writer = null;
  };

  return { file, read, save, discard, counts: () => ({ ...counts }) };
};
