/**
 * Finding the agent CLIs captain starts: an explicit binary wins, else PATH, else a copy installed
 * in a node_modules folder above captain (its devDependencies, or a project that depends on both).
 * Nothing is spawned to find them. Errors say what to put on PATH or which flag to pass.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CaptainError } from '../errors.js';

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

const isMusl = (): boolean => {
  if (process.platform !== 'linux') return false;
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return report?.header?.glibcVersionRuntime === undefined;
};

const CODEX_TRIPLES: Readonly<Record<string, string>> = {
  'linux-x64': 'x86_64-unknown-linux-musl',
  'linux-arm64': 'aarch64-unknown-linux-musl',
  'darwin-x64': 'x86_64-apple-darwin',
  'darwin-arm64': 'aarch64-apple-darwin',
};

/** A real native binary is tens of MB; the wrapper's placeholder before postinstall is tiny. */
const NATIVE_BINARY_MIN_BYTES = 1024 * 1024;

export interface ResolveOptions {
  /** Folder to start the node_modules search from. @default this module's folder */
  from?: string;
}

/**
 * Locates the Codex CLI in node_modules. Prefers the platform package's native binary
 * (`@openai/codex-<os>-<cpu>/vendor/<triple>/bin/codex`, run directly, with the env the npm shim
 * would add), else the npm shim `@openai/codex/bin/codex.js` run with this node.
 * @throws CaptainError IO naming every path tried.
 */
export const resolveCodexBin = (options: ResolveOptions = {}): WorkerLauncher => {
  const platformKey = `${process.platform}-${process.arch}`;
  const triple = CODEX_TRIPLES[platformKey];
  const tried: string[] = [];
  for (const nodeModules of nodeModulesDirs(options.from ?? moduleDir())) {
    const packageRoot = path.join(nodeModules, '@openai', 'codex');
    if (!fs.existsSync(packageRoot)) continue;
    if (triple !== undefined) {
      const platformPackage = `codex-${platformKey}`;
      for (const vendor of [
        path.join(nodeModules, '@openai', platformPackage, 'vendor'),
        path.join(packageRoot, 'node_modules', '@openai', platformPackage, 'vendor'),
        path.join(packageRoot, 'vendor'),
      ]) {
        const binary = path.join(vendor, triple, 'bin', 'codex');
        tried.push(binary);
        if (isFile(binary, NATIVE_BINARY_MIN_BYTES)) {
          return {
            command: binary,
            args: [],
            env: { CODEX_MANAGED_BY_NPM: '1', CODEX_MANAGED_PACKAGE_ROOT: fs.realpathSync(packageRoot) },
          };
        }
      }
    }
    const shim = path.join(packageRoot, 'bin', 'codex.js');
    tried.push(shim);
    if (isFile(shim)) return { command: process.execPath, args: [shim], env: {} };
  }
  throw new CaptainError(
    'IO',
    `Codex CLI not found: no ${tried.join(', ') || `node_modules/@openai/codex above ${options.from ?? moduleDir()}`} ` +
      `and no \`codex\` on PATH. Put the Codex CLI on PATH (npm i -g @openai/codex) or pass --codex-bin PATH.`,
  );
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
