import type { Stats } from 'node:fs';

/**
 * What proves a file unchanged since it was looked at: device, inode, size, mtime and ctime (the
 * milliseconds a plain `stat` gives, to a fraction of a microsecond). The record cache keys records
 * by it; an observation witness keys the raw events file it saw by it.
 */
export const fileKey = (stat: Stats): string => `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}`;
