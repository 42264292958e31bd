#!/usr/bin/env node
// Bundles the built CLI (dist/cli/main.js, from tsc) into dist/bin/captain.js plus lazily loaded
// chunks: one file per command instead of ~150 small ES modules (zod alone is ~95), which takes
// ~50 ms off every `captain` start. The library API (dist/index.js) stays unbundled.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunk names carry content hashes: clear the old ones.
rmSync('dist/bin', { recursive: true, force: true });

await build({
  entryPoints: { captain: 'dist/cli/main.js' },
  outdir: 'dist/bin',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // CommonJS dependencies (commander, proper-lockfile, write-file-atomic) call require() for node's
  // built-ins and read __filename (write-file-atomic hashes it into temp file names).
  banner: {
    js: [
      "import { createRequire as __captainCreateRequire } from 'node:module';",
      "import { fileURLToPath as __captainFileURLToPath } from 'node:url';",
      'const require = __captainCreateRequire(import.meta.url);',
      'const __filename = __captainFileURLToPath(import.meta.url);',
      "const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));",
    ].join(' '),
  },
  // Less source to parse at start-up (~8 ms); identifiers stay, so stack traces keep their names.
  minifyWhitespace: true,
  minifySyntax: true,
  // ink loads React's devtools only when DEV=true; they are not a dependency.
  external: ['react-devtools-core'],
  logLevel: 'warning',
});
