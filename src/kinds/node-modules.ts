/**
 * Finding an agent CLI installed in a node_modules folder above captain (its devDependencies, or a
 * project that depends on both): the helpers each kind's `binary.ts` uses. Nothing is spawned.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** A way to start one CLI: the executable, arguments that go before the CLI's own, and extra env. */
export interface WorkerLauncher {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** Folders named `node_modules` from `start` up to the filesystem root, nearest first. */
export const nodeModulesDirs = (start: string): string[] => {
  const dirs: string[] = [];
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    dirs.push(path.join(dir, 'node_modules'));
    if (path.dirname(dir) === dir) return dirs;
  }
};

export const moduleDir = (): string => path.dirname(fileURLToPath(import.meta.url));

export const isFile = (file: string, minBytes = 1): boolean => {
  try {
    const stat = fs.statSync(file);
    return stat.isFile() && stat.size >= minBytes;
  } catch {
    return false;
  }
};

/** A real native binary is tens of MB; the wrapper's placeholder before postinstall is tiny. */
export const NATIVE_BINARY_MIN_BYTES = 1024 * 1024;

export interface ResolveOptions {
  /** Folder to start the node_modules search from. @default this module's folder */
  from?: string;
}
