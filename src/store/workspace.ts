/**
 * The workspace: the folder holding `.captain/` (captain's own folder, with `runs/` inside), found
 * from any subfolder the way git finds `.git`. `.captain/` carries a `.gitignore` of `*`, so a run
 * never shows in `git status`.
 */
import { closeSync, fsyncSync, linkSync, lstatSync, openSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { CaptainError, describeError } from '../errors.js';

export const CAPTAIN_DIR_NAME = '.captain';
export const RUNS_DIR_NAME = 'runs';
export const CAPTAIN_GITIGNORE = '*\n';

/** `<workspace>/.captain`. */
export const captainDirOf = (workspace: string): string => join(resolve(workspace), CAPTAIN_DIR_NAME);

/** `<workspace>/.captain/runs`. */
export const workspaceRunsDir = (workspace: string): string => join(captainDirOf(workspace), RUNS_DIR_NAME);

const isDirectory = (path: string): boolean => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

/**
 * The nearest folder, from `start` up, that holds a `.captain/` folder; null when none does. The
 * walk stops at the filesystem root and, when `start` lies inside the home folder, at the home
 * folder (checked, not passed): a `.captain` above `$HOME` never captures a user's projects.
 */
export const findWorkspace = (start: string, opts: { home?: string } = {}): string | null => {
  const home = resolve(opts.home ?? homedir());
  let dir = resolve(start);
  const insideHome = dir === home || dir.startsWith(home.endsWith('/') ? home : `${home}/`);
  for (;;) {
    if (isDirectory(join(dir, CAPTAIN_DIR_NAME))) return dir;
    const parent = dirname(dir);
    if (parent === dir || (insideHome && dir === home)) return null;
    dir = parent;
  }
};

/**
 * The `.captain` folder a run directory lies under (its nearest ancestor named `.captain`), or
 * null for a run created elsewhere (`--run-dir /some/where`).
 */
export const enclosingCaptainDir = (runDir: string): string | null => {
  let dir = dirname(resolve(runDir));
  for (;;) {
    if (basename(dir) === CAPTAIN_DIR_NAME) return dir;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
};

/**
 * Makes sure `captainDir/.gitignore` exists, holding `*`. Never replaces a file that is there
 * (whatever it holds: it may be the user's): the content goes to a temp file (fsynced) that is
 * then hard-linked into place, which fails if a file appeared meanwhile; so a reader sees no
 * file or the whole one. Returns whether it wrote one.
 * @throws CaptainError IO when the folder is not writable.
 */
export const ensureCaptainGitignore = (captainDir: string): boolean => {
  const target = join(captainDir, '.gitignore');
  try {
    lstatSync(target);
    return false;
  } catch {
    // not there yet
  }
  const temp = join(captainDir, `.gitignore.${process.pid}.${Date.now()}.tmp`);
  try {
    const fd = openSync(temp, 'wx', 0o644);
    try {
      writeSync(fd, CAPTAIN_GITIGNORE);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(temp, target);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
  } catch (error) {
    throw new CaptainError('IO', `${target}: could not write captain's .gitignore (${describeError(error)})`, { cause: error, data: { path: target } });
  } finally {
    try {
      unlinkSync(temp);
    } catch {
      // never created
    }
  }
};
