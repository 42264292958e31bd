/** A full disk for tests: fill the (small tmpfs) file system holding a folder. */
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Fills the file system holding `dir` until a write fails (ENOSPC); returns the filler's path. */
export const fillDisk = (dir: string): string => {
  const filler = join(dir, 'filler');
  const fd = openSync(filler, 'w');
  const block = Buffer.alloc(4096, 0x61);
  try {
    for (;;) writeSync(fd, block);
  } catch {
    // ENOSPC: full
  } finally {
    closeSync(fd);
  }
  return filler;
};
