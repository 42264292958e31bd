/**
 * Finding the agent CLIs captain starts. Each kind resolves its own binary (`src/kinds/<kind>/binary.ts`,
 * reached through its spec's `binary.resolve`); this module keeps the old import path.
 */
export { isFile, moduleDir, nodeModulesDirs, type ResolveOptions, type WorkerLauncher } from '../kinds/node-modules.js';
export { resolveCodexBin } from '../kinds/codex/binary.js';
export { resolveClaudeBin } from '../kinds/claude/binary.js';
export { resolveGeminiBin } from '../kinds/gemini/binary.js';
