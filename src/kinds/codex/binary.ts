/** Finding the Codex CLI in node_modules: the platform package's native binary, else the npm shim. */
import fs from 'node:fs';
import path from 'node:path';
import { CaptainError } from '../../errors.js';
import { NATIVE_BINARY_MIN_BYTES, isFile, moduleDir, nodeModulesDirs, type ResolveOptions, type WorkerLauncher } from '../node-modules.js';

const CODEX_TRIPLES: Readonly<Record<string, string>> = {
  'linux-x64': 'x86_64-unknown-linux-musl',
  'linux-arm64': 'aarch64-unknown-linux-musl',
  'darwin-x64': 'x86_64-apple-darwin',
  'darwin-arm64': 'aarch64-apple-darwin',
};

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
