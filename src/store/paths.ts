/**
 * Where things live inside an upstream-compatible run directory, and the guard that keeps paths read
 * from records inside it (checked after symlinks, so a link cannot smuggle a path out).
 */
import { lstatSync, realpathSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { CaptainError } from '../errors.js';
import { asString, getKey, type JsonObject } from '../util/json.js';
import { remembering } from '../util/remember.js';

/** The run directory's fixed entries (upstream names). */
export interface RunLayout {
  runDir: string;
  runJson: string;
  taskCardsDir: string;
  delegationsDir: string;
  rawEventsDir: string;
  eventsJsonl: string;
  /**
   * `.captain-locks/`: room for captain's run-wide locks. Record locks are not here: they sit next to
   * their record (`<record>.lock`). Upstream's own `.writer.lock` file is a different thing.
   */
  lockDir: string;
}

/** The fixed paths of the run directory `runDir`. */
export const runLayout = (runDir: string): RunLayout => ({
  runDir,
  runJson: join(runDir, 'run.json'),
  taskCardsDir: join(runDir, 'task-cards'),
  delegationsDir: join(runDir, 'delegations'),
  rawEventsDir: join(runDir, 'raw-events'),
  eventsJsonl: join(runDir, 'events.jsonl'),
  lockDir: join(runDir, '.captain-locks'),
});

/** Where an id came from, which decides the error: a command argument (USAGE) or a record (INVALID_RECORD). */
export interface IdSource {
  /** The field or argument name, for the message. */
  field: string;
  /** The record the id was read from; absent for command-line / tool arguments. */
  recordPath?: string;
}

/**
 * Checks that `id` can be used as one file-name component: non-empty, no `/`, `\`, NUL or `..`.
 * @throws CaptainError INVALID_RECORD when `source.recordPath` is set, USAGE otherwise.
 */
export const assertSafeId = (id: string, source: IdSource): string => {
  const problem =
    id.length === 0 ? 'is empty'
    : /[/\\\0]/.test(id) ? 'contains a path separator or NUL'
    : id.includes('..') ? 'contains ".."'
    : undefined;
  if (problem === undefined) return id;
  const reason = `${source.field} ${JSON.stringify(id)} ${problem}; expected a plain id usable as a file name`;
  if (source.recordPath === undefined) throw new CaptainError('USAGE', reason, { data: { field: source.field, id } });
  throw new CaptainError('INVALID_RECORD', `${source.recordPath}: ${reason}`, {
    data: { path: source.recordPath, field: source.field, reason },
  });
};

/** `task-cards/<id>.json`. @throws CaptainError USAGE for an id that is not a plain file name. */
export const taskCardPath = (runDir: string, id: string, source: IdSource = { field: 'task card id' }): string =>
  join(runDir, 'task-cards', `${assertSafeId(id, source)}.json`);

/** `delegations/<id>.json`. @throws CaptainError USAGE for an id that is not a plain file name. */
export const delegationPath = (runDir: string, id: string, source: IdSource = { field: 'delegation id' }): string =>
  join(runDir, 'delegations', `${assertSafeId(id, source)}.json`);

/** `raw-events/<delegation id>.jsonl`: where a worker's stdout+stderr go when the record names no file. */
export const defaultRawEventsPath = (runDir: string, delegationId: string, source: IdSource = { field: 'delegation id' }): string =>
  join(runDir, 'raw-events', `${assertSafeId(delegationId, source)}.jsonl`);

/**
 * The real path of `path`, or, when it does not exist yet, the real path of its nearest existing
 * ancestor joined with the rest. `path` is walked as written (not normalized first), so `link/..`
 * means the parent of the link's target, as the OS would read it.
 */
const realpathWalk = (path: string): string => {
  const rest: string[] = [];
  let current = path;
  for (;;) {
    try {
      return join(realpathSync.native(current), ...rest.reverse());
    } catch {
      const parent = dirname(current);
      if (parent === current) return resolve(path);
      rest.push(basename(current));
      current = parent;
    }
  }
};

/**
 * Real paths of folders, remembered for a second: a status over thousands of records resolves
 * thousands of files in the same few folders (the run directory, raw-events/), and those do not
 * move under a running command.
 */
const realFolderCache = new Map<string, { real: string; until: number; dev: number; ino: number }>();
/**
 * The real path of a folder, remembered for a second. A hit is confirmed with one lstat of the
 * folder itself (same inode, still not a symlink), so a folder swapped for a symlink is seen at once.
 */
export const realFolder = (folder: string): string => {
  const now = Date.now();
  const cached = realFolderCache.get(folder);
  let stat: Stats | undefined;
  try {
    stat = lstatSync(folder, { throwIfNoEntry: false });
  } catch {
    stat = undefined; // ENOTDIR and the like: the walk decides
  }
  if (cached !== undefined && cached.until > now && stat !== undefined && !stat.isSymbolicLink() && stat.ino === cached.ino && stat.dev === cached.dev) {
    return cached.real;
  }
  const real = realpathWalk(folder);
  if (realFolderCache.size > 256) realFolderCache.clear();
  if (stat !== undefined) realFolderCache.set(folder, { real, until: now + 1_000, dev: stat.dev, ino: stat.ino });
  return real;
};

/**
 * Turns a folder into its real path. The default ({@link realFolder}) confirms a remembered answer
 * with an lstat of the folder on every call; one observation pass (a status, a supervisor tick) uses
 * {@link passFolderResolver}, which asks once per folder for the whole pass.
 */
export type FolderResolver = (folder: string) => string;

/**
 * A folder resolver for one pass over many records (thousands of raw events files in the same
 * `raw-events/` folder of the same run): each folder's real path is looked up once, on first use,
 * and kept for the pass. A folder swapped for a symlink during the pass is seen by the next pass; a
 * path check is a policy check on what records name, not a guard against a writer racing the
 * reader (the file is opened after the check in any case).
 */
export const passFolderResolver = (): FolderResolver => remembering(realFolder);

/** Where a path resolved to, and the lstat of its leaf when that proves what `stat` would say. */
interface Resolved {
  real: string;
  /** The absolute path as written (relative ones joined to the run directory), before resolving. */
  written: string;
  /**
   * The leaf's lstat when it is not a symlink (then it is what `stat` of the path says: only the
   * last component is not followed), undefined when the leaf does not exist, null when unknown
   * (a symlink, or an lstat error: `stat` the real path to know).
   */
  leaf: Stats | undefined | null;
}

/**
 * {@link realpathWalk}, cheaper for files: a leaf that is not a symlink (or does not exist) lies
 * where its folder's real path says, so one lstat replaces realpath's walk over every component.
 */
const realpathOrNearest = (path: string, folders: FolderResolver): Resolved => {
  const leaf = basename(path);
  if (leaf !== '' && leaf !== '.' && leaf !== '..') {
    let stat: Stats | undefined;
    try {
      stat = lstatSync(path, { throwIfNoEntry: false });
    } catch {
      return { real: realpathWalk(path), written: path, leaf: null }; // e.g. a component that is a file (ENOTDIR): let the walk decide
    }
    if (stat === undefined || !stat.isSymbolicLink()) return { real: inFolder(folders(dirname(path)), leaf), written: path, leaf: stat };
  }
  return { real: realpathWalk(path), written: path, leaf: null };
};

const inFolder = (folder: string, leaf: string): string => (folder.endsWith(sep) ? `${folder}${leaf}` : `${folder}${sep}${leaf}`);

/** Both are normalized absolute paths (real paths), so being inside is a prefix up to a separator. */
const isInside = (root: string, candidate: string): boolean =>
  candidate === root || candidate.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);

export interface InsideRunOptions {
  /** Skip the check (`--allow-outside-paths`). */
  allowOutside?: boolean;
  /** The record field the path came from, for the message. */
  field: string;
  /** The record file the path came from, for the message. */
  recordPath?: string;
  /** What captain is about to do with the file, for the message. @default 'read' */
  access?: 'read' | 'write';
}

/**
 * Resolves `candidate` (relative ones against `runDir`) to its real path and checks it lies inside
 * the real run directory.
 * @returns the resolved real path (nearest existing ancestor + rest, for paths that do not exist yet).
 * @throws CaptainError PATH_OUTSIDE_RUN naming the record, the field and the resolved path.
 */
export const resolveInsideRun = (runDir: string, candidate: string, opts: InsideRunOptions): string => checkInsideRun(runDir, candidate, opts, realFolder).real;

/** `resolve(runDir)`, remembered for the last absolute one (a pass asks for the same run thousands of times). */
let lastRunDir: { dir: string; absolute: string } | undefined;
const absoluteRunDir = (runDir: string): string => {
  if (lastRunDir?.dir === runDir) return lastRunDir.absolute;
  const absolute = resolve(runDir);
  if (isAbsolute(runDir)) lastRunDir = { dir: runDir, absolute };
  return absolute;
};

const checkInsideRun = (runDir: string, candidate: string, opts: InsideRunOptions, folders: FolderResolver): Resolved => {
  const absoluteRun = absoluteRunDir(runDir);
  const written = isAbsolute(candidate) ? candidate : `${absoluteRun}${sep}${candidate}`;
  const found = realpathOrNearest(written, folders);
  const resolved = found.real;
  if (opts.allowOutside === true) return found;
  const realRun = folders(absoluteRun);
  if (isInside(realRun, resolved)) return found;
  const where = opts.recordPath ?? 'record';
  throw new CaptainError(
    'PATH_OUTSIDE_RUN',
    `${where}: ${opts.field} ${JSON.stringify(candidate)} resolves to ${resolved}, outside the run directory ${realRun}; ` +
      `captain only ${opts.access === 'write' ? 'writes' : 'reads'} files inside the run directory unless --allow-outside-paths is given`,
    { data: { path: opts.recordPath, field: opts.field, candidate, resolvedPath: resolved, runDir: realRun, access: opts.access ?? 'read' } },
  );
};

/**
 * The raw events file of a delegation: `worker_launch_evidence.raw_events_file` when it is a
 * non-empty string, else `raw-events/<delegation_id>.jsonl` (the id from the record, else from the
 * record's file name). Checked with {@link resolveInsideRun}.
 * @throws CaptainError PATH_OUTSIDE_RUN, or INVALID_RECORD when no usable delegation id is found.
 */
export const resolveRawEventsFile = (
  runDir: string,
  delegation: JsonObject,
  opts: { allowOutside?: boolean; recordPath?: string } = {},
): string => rawEventsInsideRun(runDir, delegation, opts, realFolder).real;

/** A file found on disk: its real path, and its `stat` (undefined when there is no such file). */
export interface LocatedFile {
  path: string;
  stat: Stats | undefined;
  /**
   * The path as the record names it (absolute), when `stat` is its leaf's own lstat (not a
   * symlink, or absent): {@link lookAgain} tells from it alone whether it still leads to `path`.
   */
  looked?: string;
}

/**
 * {@link resolveRawEventsFile} and a `stat` of the result, in one lstat when the file is not a
 * symlink (the common case); `folders` resolves the folders on the way (one pass passes
 * {@link passFolderResolver}).
 * @throws CaptainError as resolveRawEventsFile; the stat's own errors other than ENOENT.
 */
export const locateRawEventsFile = (
  runDir: string,
  delegation: JsonObject,
  opts: { allowOutside?: boolean; recordPath?: string; folders?: FolderResolver } = {},
): LocatedFile => {
  const found = rawEventsInsideRun(runDir, delegation, opts, opts.folders ?? realFolder);
  if (found.leaf !== null) return { path: found.real, stat: found.leaf, looked: found.written };
  return { path: found.real, stat: statSync(found.real, { throwIfNoEntry: false }) };
};

/**
 * A second look at a file {@link locateRawEventsFile} found through `looked` (its `looked`) at
 * `real` (its `path`), without the record: the leaf's lstat (undefined: no such file) when
 * `looked` still leads to `real` inside the run directory and is not a symlink, else null (look
 * again the long way).
 */
export const lookAgain = (runDir: string, looked: string, real: string, folders: FolderResolver): Stats | undefined | null => {
  const leaf = basename(looked);
  if (leaf === '' || leaf === '.' || leaf === '..') return null;
  try {
    if (inFolder(folders(dirname(looked)), leaf) !== real || !isInside(folders(absoluteRunDir(runDir)), real)) return null;
    const stat = lstatSync(looked, { throwIfNoEntry: false });
    return stat !== undefined && stat.isSymbolicLink() ? null : stat;
  } catch {
    return null;
  }
};

const rawEventsInsideRun = (
  runDir: string,
  delegation: JsonObject,
  opts: { allowOutside?: boolean; recordPath?: string },
  folders: FolderResolver,
): Resolved => {
  const { allowOutside, recordPath } = opts;
  const checkOpts = { ...(allowOutside === undefined ? {} : { allowOutside }), ...(recordPath === undefined ? {} : { recordPath }) };
  const named = asString(getKey(getKey(delegation, 'worker_launch_evidence'), 'raw_events_file'));
  if (named !== undefined && named.length > 0) {
    return checkInsideRun(runDir, named, { ...checkOpts, field: 'worker_launch_evidence.raw_events_file' }, folders);
  }
  const recordId = asString(getKey(delegation, 'delegation_id'));
  const where = recordPath ?? 'delegation record';
  const fromFile = recordPath !== undefined && recordPath.endsWith('.json') ? basename(recordPath, '.json') : undefined;
  const id = recordId !== undefined && recordId.length > 0 ? recordId : fromFile;
  const field = id === recordId ? 'delegation_id' : 'record file name';
  if (id === undefined || id.length === 0) {
    throw new CaptainError('INVALID_RECORD', `${where}: no worker_launch_evidence.raw_events_file and no delegation_id; expected one of them`, {
      data: { path: recordPath, field: 'delegation_id', reason: 'missing' },
    });
  }
  const fallback = defaultRawEventsPath(runDir, id, { field, ...(recordPath === undefined ? {} : { recordPath }) });
  return checkInsideRun(runDir, fallback, { ...checkOpts, field }, folders);
};

/**
 * The run directory a record file belongs to, from the fixed layout: `<run>/delegations/<id>.json`
 * and `<run>/task-cards/<id>.json` belong to `<run>`, every other file (`run.json`,
 * `supervisor.json`) to its folder. Lexical: the path as written, symlinks not followed.
 */
export const recordRunDir = (recordPath: string): string => {
  const folder = dirname(resolve(recordPath));
  const name = basename(folder);
  return name === 'delegations' || name === 'task-cards' ? dirname(folder) : folder;
};

/**
 * The guard every write goes through: `path` (after symlinks, its folder's included) must lie inside
 * the real run directory `runDir`, so neither a `delegations/<id>.json` symlink to a file elsewhere
 * nor a symlinked `delegations/` folder makes captain write outside the run. The atomic writes and
 * locked updates of the store call it with {@link recordRunDir}; launch code checks the files it
 * opens for writing with {@link resolveLaunchFiles}.
 * @returns the real path the write will land on.
 * @throws CaptainError PATH_OUTSIDE_RUN naming the path, where it resolves to, and the run directory.
 */
export const assertWritableInsideRun = (
  runDir: string,
  path: string,
  opts: { allowOutside?: boolean; field?: string; recordPath?: string } = {},
): string =>
  resolveInsideRun(runDir, path, {
    field: opts.field ?? 'record file',
    recordPath: opts.recordPath ?? path,
    access: 'write',
    ...(opts.allowOutside === undefined ? {} : { allowOutside: opts.allowOutside }),
  });

/** The files a worker launch opens, resolved to real paths inside the run (see {@link resolveLaunchFiles}). */
export interface LaunchFiles {
  /** `worker_launch_evidence.raw_events_file` (opened for writing: the worker's stdout). */
  rawEventsFile: string;
  /** `worker_launch_evidence.stderr_file` (opened for writing: the worker's stderr). */
  stderrFile: string;
  /** `worker_request.stdin_file` (opened for reading), when the record names one. */
  stdinFile: string | undefined;
}

/**
 * Checks, before a launch, the files a delegation record makes the launcher open: its
 * `worker_launch_evidence.raw_events_file` and `stderr_file` (truncated and written) and its
 * `worker_request.stdin_file` (read) must resolve, after symlinks, inside the run directory, unless
 * `allowOutside` (`--allow-outside-paths`). Call it right before opening them, and open the returned
 * real paths.
 * @throws CaptainError INVALID_RECORD when raw_events_file or stderr_file is missing or not a
 *   non-empty string; PATH_OUTSIDE_RUN naming the record, the field and where it resolves.
 */
export const resolveLaunchFiles = (
  runDir: string,
  record: JsonObject,
  opts: { allowOutside?: boolean; recordPath?: string } = {},
): LaunchFiles => {
  const recordPath = opts.recordPath ?? 'delegation record';
  const evidence = getKey(record, 'worker_launch_evidence');
  const required = (field: 'raw_events_file' | 'stderr_file'): string => {
    const value = asString(getKey(evidence, field));
    if (value === undefined || value.length === 0) {
      throw new CaptainError('INVALID_RECORD', `${recordPath}: worker_launch_evidence.${field} is missing; expected the path of a file inside the run`, {
        data: { path: opts.recordPath, field: `worker_launch_evidence.${field}`, reason: 'missing' },
      });
    }
    return resolveInsideRun(runDir, value, { ...opts, recordPath, field: `worker_launch_evidence.${field}`, access: 'write' });
  };
  const stdin = asString(getKey(getKey(record, 'worker_request'), 'stdin_file'));
  return {
    rawEventsFile: required('raw_events_file'),
    stderrFile: required('stderr_file'),
    stdinFile: stdin === undefined ? undefined : resolveInsideRun(runDir, stdin, { ...opts, recordPath, field: 'worker_request.stdin_file' }),
  };
};
