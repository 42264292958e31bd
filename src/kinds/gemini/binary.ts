/** Finding the Gemini CLI in node_modules: `@google/gemini-cli/bundle/gemini.js`, run with this node. */
import fs from 'node:fs';
import path from 'node:path';
import { CaptainError } from '../../errors.js';
import { isFile, moduleDir, nodeModulesDirs, type ResolveOptions, type WorkerLauncher } from '../node-modules.js';

/**
 * Locates the Gemini CLI's bundled entry point in a node_modules folder above `from` (default: this
 * module) and runs it with the current Node (the package ships JavaScript only, no native binary).
 * @throws CaptainError IO naming every path tried.
 */
export const resolveGeminiBin = (options: ResolveOptions = {}): WorkerLauncher => {
  const tried: string[] = [];
  for (const nodeModules of nodeModulesDirs(options.from ?? moduleDir())) {
    const packageRoot = path.join(nodeModules, '@google', 'gemini-cli');
    if (!fs.existsSync(packageRoot)) continue;
    const entry = path.join(packageRoot, 'bundle', 'gemini.js');
    tried.push(entry);
    if (isFile(entry)) return { command: process.execPath, args: [entry], env: {} };
  }
  throw new CaptainError(
    'IO',
    `Gemini CLI not found: no ${tried.join(', ') || `node_modules/@google/gemini-cli above ${options.from ?? moduleDir()}`} ` +
      'and no `gemini` on PATH. Put the Gemini CLI on PATH (npm i -g @google/gemini-cli) or pass --gemini-bin PATH.',
  );
};
