/** Finding Claude Code in node_modules: the platform package's native binary, else the wrapper's `bin/claude.exe`. */
import fs from 'node:fs';
import path from 'node:path';
import { CaptainError } from '../../errors.js';
import { NATIVE_BINARY_MIN_BYTES, isFile, moduleDir, nodeModulesDirs, type ResolveOptions, type WorkerLauncher } from '../node-modules.js';

const isMusl = (): boolean => {
  if (process.platform !== 'linux') return false;
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return report?.header?.glibcVersionRuntime === undefined;
};

/**
 * Locates Claude Code in node_modules. Prefers the platform package's native binary
 * (`@anthropic-ai/claude-code-<os>-<cpu>[-musl]/claude`; present even when the wrapper's postinstall
 * did not run), else the wrapper's `bin/claude.exe` once postinstall has replaced its placeholder.
 * @throws CaptainError IO naming every path tried.
 */
export const resolveClaudeBin = (options: ResolveOptions = {}): WorkerLauncher => {
  const platformKey = `${process.platform}-${process.arch}${isMusl() ? '-musl' : ''}`;
  const binaryName = process.platform === 'win32' ? 'claude.exe' : 'claude';
  const tried: string[] = [];
  for (const nodeModules of nodeModulesDirs(options.from ?? moduleDir())) {
    const packageRoot = path.join(nodeModules, '@anthropic-ai', 'claude-code');
    const platformDir = path.join(nodeModules, '@anthropic-ai', `claude-code-${platformKey}`);
    if (!fs.existsSync(packageRoot) && !fs.existsSync(platformDir)) continue;
    for (const binary of [
      path.join(platformDir, binaryName),
      path.join(packageRoot, 'node_modules', '@anthropic-ai', `claude-code-${platformKey}`, binaryName),
      path.join(packageRoot, 'bin', 'claude.exe'),
    ]) {
      tried.push(binary);
      if (isFile(binary, NATIVE_BINARY_MIN_BYTES)) return { command: binary, args: [], env: {} };
    }
  }
  throw new CaptainError(
    'IO',
    `Claude Code not found: no ${tried.join(', ') || `node_modules/@anthropic-ai/claude-code above ${options.from ?? moduleDir()}`} ` +
      `and no \`claude\` on PATH. Put Claude Code on PATH (npm i -g @anthropic-ai/claude-code) or pass --claude-bin PATH.`,
  );
};
