/**
 * Opening a file that a run (or a record in it) names, for reading. Only regular files are read:
 * a FIFO would block `open` and `read` forever, a character device such as `/dev/zero` never ends,
 * a directory or socket is no data. The file is opened non-blocking (a FIFO opens at once), its
 * type checked with `fstat` on the open descriptor (no race with a rename), and its size capped
 * where the caller says so. Error messages name the path and the reason, never the content.
 */
import { closeSync, fstatSync, lstatSync, openSync, readlinkSync, constants as fsConstants, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { CaptainError } from '../errors.js';

export interface OpenedFile {
  fd: number;
  stat: Stats;
}

const READ_FLAGS = fsConstants.O_RDONLY | fsConstants.O_NONBLOCK | fsConstants.O_NOCTTY;

/** What kind of file `stat` describes, for messages ("a FIFO", "a directory", …). */
export const fileTypeOf = (stat: Stats): string => {
  if (stat.isFile()) return 'a regular file';
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
};

const errnoOf = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : undefined;

/** For a path that could not be opened with ENOENT: the target of a dangling symlink, else undefined. */
export const danglingSymlinkTarget = (path: string): string | undefined => {
  try {
    if (!lstatSync(path).isSymbolicLink()) return undefined;
    return readlinkSync(path);
  } catch {
    return undefined;
  }
};

/**
 * Opens `path` for reading if it is a regular file of at most `maxBytes`.
 * @throws CaptainError NOT_FOUND (`data.reason: 'missing'`) when nothing is there; INVALID_RECORD
 *   (`data: {path, reason, code}`) for a dangling symlink, a file that is not regular, a file over
 *   `maxBytes`, or one that cannot be opened (the reason says which).
 */
export const openRegularFileSync = (path: string, opts: { maxBytes?: number; what?: string } = {}): OpenedFile => {
  const what = opts.what ?? 'file';
  let fd: number;
  try {
    fd = openSync(path, READ_FLAGS);
  } catch (error) {
    const code = errnoOf(error);
    if (code === 'ENOENT') {
      const target = danglingSymlinkTarget(path);
      if (target !== undefined) throw invalid(path, `a dangling symlink (to ${target}); expected a regular ${what}`, code);
      throw new CaptainError('NOT_FOUND', `${path}: no such file`, { cause: error, data: { path, reason: 'missing', code } });
    }
    throw invalid(path, `cannot be opened (${code ?? String(error)}); expected a readable regular ${what}`, code, error);
  }
  let stat: Stats;
  try {
    stat = fstatSync(fd);
  } catch (error) {
    closeSync(fd);
    throw invalid(path, `cannot be examined (${errnoOf(error) ?? String(error)})`, errnoOf(error), error);
  }
  if (!stat.isFile()) {
    closeSync(fd);
    throw invalid(path, `is ${fileTypeOf(stat)}; captain reads only regular files here (expected a ${what})`, 'ENOTREG');
  }
  if (opts.maxBytes !== undefined && stat.size > opts.maxBytes) {
    closeSync(fd);
    throw invalid(path, `is ${stat.size} bytes, over the ${opts.maxBytes}-byte limit for a ${what}`, 'EFBIG');
  }
  return { fd, stat };
};

const invalid = (path: string, reason: string, code: string | undefined, cause?: unknown): CaptainError =>
  new CaptainError('INVALID_RECORD', `${path}: ${reason}`, { cause, data: { path, reason, code } });

const isSymlink = (path: string): boolean => {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
};

/**
 * Refuses to write `path` when the file or its folder is a symlink: an atomic write (temp file +
 * rename) or a lock directory would otherwise land wherever the link points, possibly outside the
 * run. Such a record stays readable; captain just never changes it.
 * @throws CaptainError PATH_OUTSIDE_RUN naming the link.
 */
export const assertNoSymlinkOnWritePath = (path: string): void => {
  for (const candidate of [path, dirname(path)]) {
    if (isSymlink(candidate)) {
      throw new CaptainError('PATH_OUTSIDE_RUN', `${candidate}: is a symlink (to ${safeReadlink(candidate)}); captain does not write through symlinks, so ${path} is left as it is`, {
        data: { path: candidate, reason: 'symlink on the write path' },
      });
    }
  }
};

const safeReadlink = (path: string): string => {
  try {
    return readlinkSync(path);
  } catch {
    return '?';
  }
};
