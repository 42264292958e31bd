/**
 * How captain starts another captain process (the detached worker monitor, the detached
 * supervisor): this node binary running the built CLI of this very package.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CaptainError } from '../errors.js';

export const packageRoot = (): string => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src', 'cli'))) return dir;
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'dist', 'cli'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new CaptainError('IO', `cannot find captain's package root above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
};

/** `[node, <package>/dist/bin/captain.js]` (the bundled bin); the built CLI must exist (`npm run build`). */
export const captainCliCommand = (): { file: string; args: string[] } => {
  const main = join(packageRoot(), 'dist', 'bin', 'captain.js');
  if (!existsSync(main)) throw new CaptainError('IO', `${main} does not exist; run \`npm run build\` first`);
  return { file: process.execPath, args: [main] };
};

/** `[node, <package>/dist/monitor/main.js]`: the small entry point of a worker monitor. */
export const monitorCommand = (): { file: string; args: string[] } => {
  const main = join(packageRoot(), 'dist', 'monitor', 'main.js');
  if (!existsSync(main)) throw new CaptainError('IO', `${main} does not exist; run \`npm run build\` first`);
  return { file: process.execPath, args: [main] };
};
