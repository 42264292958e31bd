/**
 * Opening a file a run points at for reading, safely: only regular files. The open is non-blocking
 * (a FIFO would otherwise block the open, and later reads, forever) and never makes a terminal the
 * controlling one; one fstat then tells the type, so a FIFO, socket, device (`/dev/zero`,
 * `/dev/urandom`) or directory is refused before a single byte is read. Costs one fstat over a
 * plain open (which every caller here needed anyway for the size).
 */
import { closeSync, fstatSync, lstatSync, openSync, constants as fsConstants, type BigIntStats, type Stats } from 'node:fs';
import { CaptainError, describeError } from '../errors.js';

const READ_FLAGS = fsConstants.O_RDONLY | fsConstants.O_NONBLOCK | fsConstants.O_NOCTTY;

/** What a non-regular file is, for messages. */
export const describeFileType = (stat: Stats | BigIntStats): string =>
  stat.isDirectory() ? 'a directory'
  : stat.isFIFO() ? 'a FIFO (named pipe)'
  : stat.isCharacterDevice() ? 'a character device'
  : stat.isBlockDevice() ? 'a block device'
  : stat.isSocket() ? 'a socket'
  : stat.isSymbolicLink() ? 'a symbolic link'
  : 'not a regular file';

/** Why opening `path` failed with ENOENT: missing, or a symlink whose target is missing (dangling). */
const isDanglingSymlink = (path: string): boolean => {
  try {
    return lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink() === true;
  } catch {
    return false;
  }
};

export interface OpenedFile<S extends Stats | BigIntStats = Stats> {
  fd: number;
  stat: S;
}

/**
 * Why a file could not be opened as a regular file: `missing` (ENOENT, nothing there),
 * `dangling_symlink`, `not_regular` (FIFO, device, directory, socket), `too_large`, or `unreadable`
 * (any other errno, e.g. EACCES, ELOOP, ENXIO for a socket).
 */
export type OpenFailure = 'missing' | 'dangling_symlink' | 'not_regular' | 'too_large' | 'unreadable';

/** The error {@link openRegularFileSync} throws: `code` from the caller, `data: {path, reason, failure, errno}`. */
export interface OpenRegularOptions {
  /** What the file is, for messages ("record", "raw events file", "events log"). */
  what: string;
  /** Files bigger than this are refused (`too_large`). */
  maxBytes?: number;
  /** The CaptainError code for every failure but `missing` (which is always NOT_FOUND). @default 'INVALID_RECORD' */
  code?: 'INVALID_RECORD' | 'IO';
}

const failure = (path: string, opts: OpenRegularOptions, kind: OpenFailure, reason: string, cause?: unknown, errno?: string): CaptainError =>
  new CaptainError(kind === 'missing' ? 'NOT_FOUND' : (opts.code ?? 'INVALID_RECORD'), `${path}: ${reason}`, {
    cause,
    data: { path, reason, failure: kind, code: errno },
  });

const errnoOf = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : undefined;

/**
 * Opens `path` for reading if, and only if, it is a regular file (after symlinks) no bigger than
 * `opts.maxBytes`. The caller closes `fd`.
 * @throws CaptainError NOT_FOUND (`failure: 'missing'`) when nothing is there; `opts.code`
 *   (default INVALID_RECORD) naming the path and the reason otherwise (`data.failure` says which).
 *   Messages never quote the file's content.
 */
export function openRegularFileSync(path: string, opts: OpenRegularOptions): OpenedFile {
  let fd: number;
  try {
    fd = openSync(path, READ_FLAGS);
  } catch (error) {
    const errno = errnoOf(error);
    if (errno === 'ENOENT') {
      if (isDanglingSymlink(path)) {
        throw failure(path, opts, 'dangling_symlink', `a symbolic link whose target does not exist; expected a regular ${opts.what} file`, error, errno);
      }
      throw failure(path, opts, 'missing', 'no such file', error, errno);
    }
    throw failure(path, opts, 'unreadable', `unreadable (${describeError(error)})`, error, errno);
  }
  let stat: Stats;
  try {
    stat = fstatSync(fd);
  } catch (error) {
    closeSync(fd);
    throw failure(path, opts, 'unreadable', `unreadable (${describeError(error)})`, error, errnoOf(error));
  }
  if (!stat.isFile()) {
    closeSync(fd);
    throw failure(path, opts, 'not_regular', `${describeFileType(stat)}, not a regular file; captain only reads regular ${opts.what} files`);
  }
  if (opts.maxBytes !== undefined && stat.size > opts.maxBytes) {
    closeSync(fd);
    throw failure(path, opts, 'too_large', `${stat.size} bytes, over the ${opts.maxBytes}-byte limit for a ${opts.what} file`);
  }
  return { fd, stat };
}
