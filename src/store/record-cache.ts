/**
 * The record cache of `captain status`: `<run>/.captain-cache/records.v3.bin` holds the text of
 * each delegation file as last read, keyed by what proves the file unchanged since (device, inode,
 * size, mtime and ctime, the times as the milliseconds a plain stat gives, to a fraction of a
 * microsecond: an entry is only kept for a file whose times are RECORD_CACHE_RACY_MARGIN_MS old, so
 * any later write moves them by at least that). An unchanged record then costs one
 * `stat` instead of open + fstat + read + close, and is parsed from the very text the read that
 * stored it had checked (each text is kept with its CRC-32 and the record limits it was checked
 * under; float-literal marks are redone), so what status derives from it is the same, byte for byte.
 * Anything in doubt reads the file: no cache file, another format or limits, a file not owned by
 * this user or writable by others, a bad index or CRC, a key that differs, a stat that fails or
 * finds no regular file. A file is only cached when its mtime and ctime are
 * RECORD_CACHE_RACY_MARGIN_MS older than the read (a rewrite within one timestamp tick, same size,
 * must not look unchanged).
 *
 * A caller may also file, instead of a record's text, what it derived from it (`offerView`: an
 * opaque text, e.g. a finished worker's entry as a template over `now`); a later read then returns
 * that (`{ view }`) and no record at all. Views are kept under the caller's `viewKey`, which must
 * name everything they depend on (the derivation's version, the config): a file written under
 * another key serves only texts.
 *
 * Without a usable cache file, a new one is written while the records are read (a slice at a time,
 * see `endSlice`) and committed by `save`; with one, `save` rewrites it only when enough changed.
 * The format is in record-cache-file.ts. Safe to delete at any time.
 */
import { mkdirSync, statSync, type Stats } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { RECORD_CACHE_RACY_MARGIN_MS, RECORD_CACHE_REWRITE_SHARE, RECORD_MAX_BYTES } from '../config/defaults.js';
import { describeError } from '../errors.js';
import { guardWrite, parseCheckedRecordText, type ReadScratch, type RecordSource } from './json-file.js';
import { mayHoldFloatLiteral } from '../util/json.js';
import { runLayout } from './paths.js';
import { createCacheFile, ENTRY_FLOAT_LITERAL, ENTRY_NO_VIEW, ENTRY_VIEW, isIndexableName, openCacheFile, type CacheFileReader, type CacheFileWriter } from './record-cache-file.js';
import { fileKey } from './file-key.js';
import { readRecordFile, type RecordFileRead } from './records.js';

export const recordCacheFile = (runDir: string): string => join(runDir, '.captain-cache', 'records.v3.bin');

export interface RecordCacheOptions {
  /** Wall clock for the racy check (tests). @default Date.now */
  wallClock?: () => number;
  /** @default RECORD_CACHE_RACY_MARGIN_MS */
  racyMarginMs?: number;
  /** @default RECORD_CACHE_REWRITE_SHARE */
  rewriteShare?: number;
  /** Only read the cache file: never start, rewrite or keep anything (e.g. `--snapshot`, which writes nothing). */
  readOnly?: boolean;
  /**
   * The key views are filed under (44 characters of base64, e.g. a SHA-256 of what they depend
   * on). Without one, no view is served or kept.
   */
  viewKey?: string;
}

/**
 * A record as the cache gives it: read (or parsed from its cached text), or the view filed for it
 * (its UTF-8, valid until `endSlice`) with where it lies in the cache file (`at`: for `reread`).
 */
export type RecordCacheRead = RecordFileRead | { view: Buffer; at: number };

/** The key texts-only caches are written under. */
const NO_VIEWS_KEY = 'A'.repeat(43) + '=';
/** The size of the arenas views are copied into (see copyOut). */
const VIEW_ARENA_BYTES = 256 * 1024;

/** What a {@link RecordCache} did so far. */
export interface RecordCacheCounts {
  /** Files served from the cache (a stat, no read). */
  hits: number;
  /** Of the hits, those served as a view. */
  viewHits: number;
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
  /**
   * `readRecordFile` for a delegation file, from the cache when it proves the file unchanged (its
   * view, when one is filed and views are on). A view's bytes are the cache's own memory, valid
   * until `endSlice` (the next slice's views take their place): copy what must outlive the slice.
   */
  read(path: string, scratch: ReadScratch): RecordCacheRead;
  /**
   * `length` bytes of the cache file from `at` (within a view `read` gave: its `at` plus an
   * offset), read again (valid until the next `reread`), or null when they cannot be: the cache was
   * saved or discarded (its file is closed), or the file is no longer the one it read them from.
   * So a caller need not keep a view's bytes to write them out later, before `save`.
   */
  reread(at: number, length: number): Buffer | null;
  /** Whether a view offered for `path` (read this slice) would be kept: ask before making one. */
  wantsView(path: string): boolean;
  /** The text of the record read from `path` this slice, when the cache would keep it (a miss it can store, or a text it served), with its float-literal mark. */
  recordText(path: string): { text: string; floatLiteral: boolean } | undefined;
  /**
   * Notes that the record read from `path` this slice has no view: its text is kept marked so, and
   * not offered again while unchanged. For a view it served that no longer does, pass the record's
   * text (it then takes the view's place).
   */
  declineView(path: string, record?: { text: string; floatLiteral: boolean }): void;
  /**
   * Files `view` for the record just read from `path` (a miss this slice, a text or a view it
   * served), in place of what it held. Offer one for a view it served only when that one no longer
   * does (e.g. a running worker's, past its time): the new one counts as a change.
   */
  offerView(path: string, view: string): void;
  /** Ends a slice: what its misses left to keep is written out (a new cache file is written a slice at a time). */
  endSlice(): void;
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
  const viewKey = opts.viewKey;
  const counts: RecordCacheCounts = { hits: 0, viewHits: 0, misses: 0, storable: 0, loaded: false };
  let started = false;
  let reader: CacheFileReader | null = null;
  /** Without a usable cache file, a new one is written as the records are read (nothing held). */
  let writer: CacheFileWriter | null = null;
  /** With one: the names served from it and the texts read now, written only if enough changed. */
  const hitNames = new Set<string>();
  /** The texts (or views) to keep: until `endSlice` when writing a new file, else until `save`. */
  const pending: PendingText[] = [];
  /** This slice's storable misses, by name (for `offerView`). */
  const sliceMisses = new Map<string, PendingText>();
  /** This slice's text hits not marked ENTRY_NO_VIEW, by name, when views are on: a view offered (or declined) for one replaces the entry. */
  const sliceTextHits = new Map<string, PendingText>();
  /** This slice's view hits (name → key), when views are on: a view offered for one replaces it. */
  const sliceViewHits = new Map<string, string>();
  let viewsUsable = false;
  let seen = 0;

  const start = (): void => {
    started = true;
    reader = openCacheFile(file);
    counts.loaded = reader !== null;
    viewsUsable = reader !== null && viewKey !== undefined && reader.viewKey === viewKey;
    if (reader !== null || opts.readOnly === true) return;
    try {
      guardWrite(file, { runDir });
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      writer = createCacheFile(file, viewKey ?? NO_VIEWS_KEY);
    } catch {
      writer = null; // a read-only run: no cache
    }
  };

  /**
   * A view's bytes, copied out of the file's read window (the next read reuses it) into arenas
   * that every slice reuses (see `read`): no allocation, and no fresh memory to fault in, per view.
   */
  const arenas: Buffer[] = [];
  let arenaIndex = 0;
  let arenaUsed = 0;
  const copyOut = (bytes: Buffer): Buffer => {
    if (bytes.length > VIEW_ARENA_BYTES / 8) return Buffer.from(bytes);
    if (arenaIndex < arenas.length && arenaUsed + bytes.length > VIEW_ARENA_BYTES) {
      arenaIndex += 1;
      arenaUsed = 0;
    }
    if (arenaIndex === arenas.length) arenas.push(Buffer.allocUnsafeSlow(VIEW_ARENA_BYTES));
    const arena = arenas[arenaIndex] as Buffer;
    const copy = arena.subarray(arenaUsed, arenaUsed + bytes.copy(arena, arenaUsed));
    arenaUsed += copy.length;
    return copy;
  };

  const fromCache = (path: string, name: string, cache: CacheFileReader): RecordCacheRead | undefined => {
    const stored = cache.lookup(name);
    if (stored === undefined) return undefined;
    const isView = (stored.flags & ENTRY_VIEW) !== 0;
    if (isView && !viewsUsable) return undefined;
    let stat: Stats | undefined;
    try {
      stat = statSync(path, { throwIfNoEntry: false });
    } catch {
      return undefined;
    }
    if (stat === undefined || !stat.isFile() || stat.size > RECORD_MAX_BYTES) return undefined;
    const key = fileKey(stat);
    if (key !== stored.key) return undefined;
    // The bytes match their CRC: they are the text a read checked when it was stored.
    const bytes = cache.bytes(stored);
    if (bytes === null) return undefined;
    if (isView) {
      hitNames.add(name);
      counts.viewHits += 1;
      if (opts.readOnly !== true) sliceViewHits.set(name, stored.key);
      return { view: copyOut(bytes), at: stored.offset };
    }
    try {
      const text = bytes.toString('utf8');
      const record = parseCheckedRecordText(text, (stored.flags & ENTRY_FLOAT_LITERAL) !== 0);
      if (record === null) return undefined;
      hitNames.add(name);
      // A "no view" mark holds only under the key it was made under.
      if (viewKey !== undefined && opts.readOnly !== true && ((stored.flags & ENTRY_NO_VIEW) === 0 || !viewsUsable)) sliceTextHits.set(name, { name, key: stored.key, text, flags: stored.flags });
      return { record };
    } catch {
      return undefined;
    }
  };

  const read = (path: string, scratch: ReadScratch): RecordCacheRead => {
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
    if (opts.readOnly === true) return readRecordFile(path, scratch);
    const readAtMs = wallClock();
    const source: RecordSource = {};
    const result = readRecordFile(path, scratch, source);
    const { stat, text } = source;
    if (result !== null && 'record' in result && stat !== undefined && text !== undefined && (reader !== null || writer !== null)) {
      const limitMs = readAtMs - marginMs;
      // Old enough to be sure of, and read whole (the text is as long as the file was).
      if (stat.mtimeMs < limitMs && stat.ctimeMs < limitMs && Buffer.byteLength(text, 'utf8') === stat.size) {
        counts.storable += 1;
        const kept: PendingText = { name, key: fileKey(stat), text, flags: mayHoldFloatLiteral(text) ? ENTRY_FLOAT_LITERAL : 0 };
        pending.push(kept);
        sliceMisses.set(name, kept);
      }
    }
    return result;
  };

  const wantsView = (path: string): boolean => {
    if (viewKey === undefined || opts.readOnly === true || !path.startsWith(prefix)) return false;
    const name = path.slice(prefix.length);
    return sliceMisses.has(name) || sliceTextHits.has(name) || sliceViewHits.has(name);
  };

  const recordText = (path: string): { text: string; floatLiteral: boolean } | undefined => {
    if (!path.startsWith(prefix)) return undefined;
    const name = path.slice(prefix.length);
    const kept = sliceMisses.get(name) ?? sliceTextHits.get(name);
    if (kept === undefined || (kept.flags & ENTRY_VIEW) !== 0) return undefined;
    return { text: kept.text, floatLiteral: (kept.flags & ENTRY_FLOAT_LITERAL) !== 0 };
  };

  const offerView = (path: string, view: string): void => {
    if (viewKey === undefined || !path.startsWith(prefix)) return;
    const name = path.slice(prefix.length);
    const kept = sliceMisses.get(name);
    if (kept !== undefined) {
      kept.text = view;
      kept.flags = ENTRY_VIEW;
      return;
    }
    // A text served from the file (e.g. one a texts-only status kept): its view takes its place, and counts as a change.
    const hit = sliceTextHits.get(name);
    if (hit !== undefined) {
      if (!hitNames.delete(name)) return;
      sliceTextHits.delete(name);
      pending.push({ ...hit, text: view, flags: ENTRY_VIEW });
      return;
    }
    // A view served from the file that no longer does: the new one takes its place.
    const viewHitKey = sliceViewHits.get(name);
    if (viewHitKey === undefined || !hitNames.delete(name)) return;
    sliceViewHits.delete(name);
    pending.push({ name, key: viewHitKey, text: view, flags: ENTRY_VIEW });
  };

  const declineView = (path: string, record?: { text: string; floatLiteral: boolean }): void => {
    if (viewKey === undefined || !path.startsWith(prefix)) return;
    const name = path.slice(prefix.length);
    const kept = sliceMisses.get(name);
    if (kept !== undefined) {
      kept.flags |= ENTRY_NO_VIEW;
      return;
    }
    const hit = sliceTextHits.get(name);
    if (hit !== undefined) {
      if (!hitNames.delete(name)) return;
      sliceTextHits.delete(name);
      pending.push({ ...hit, flags: hit.flags | ENTRY_NO_VIEW });
      return;
    }
    const viewHitKey = sliceViewHits.get(name);
    if (record === undefined || viewHitKey === undefined || !hitNames.delete(name)) return;
    sliceViewHits.delete(name);
    pending.push({ name, key: viewHitKey, text: record.text, flags: ENTRY_NO_VIEW | (record.floatLiteral ? ENTRY_FLOAT_LITERAL : 0) });
  };

  const endSlice = (): void => {
    // The slice's views are done with (see read); what it keeps is held as strings.
    arenaIndex = 0;
    arenaUsed = 0;
    sliceMisses.clear();
    sliceTextHits.clear();
    sliceViewHits.clear();
    if (writer === null) return;
    try {
      for (const kept of pending) writer.append(kept.name, kept.key, kept.text, kept.flags);
    } catch {
      writer.abort();
      writer = null;
    }
    pending.length = 0;
  };

  const rewrite = (cache: CacheFileReader): RecordCacheSave => {
    const changed = counts.storable + (cache.count - hitNames.size);
    const entries = hitNames.size + pending.length;
    const threshold = Math.max(1, Math.ceil(seen * share));
    if (changed < threshold) return { written: false, reason: `${changed} changed entries, under ${threshold}`, entries };
    let next: CacheFileWriter | undefined;
    try {
      guardWrite(file, { runDir });
      const writer = createCacheFile(file, viewKey ?? NO_VIEWS_KEY);
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
      if (opts.readOnly === true) return { written: false, reason: 'opened read-only', entries: 0 };
      if (reader !== null) return rewrite(reader);
      endSlice();
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

  const reread = (at: number, length: number): Buffer | null => reader?.region(at, length) ?? null;

  return { file, read, reread, wantsView, recordText, offerView, declineView, endSlice, save, discard, counts: () => ({ ...counts }) };
};
