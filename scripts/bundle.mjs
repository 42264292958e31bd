#!/usr/bin/env node
// Bundles the built CLI (dist/cli/main.js, from tsc) into dist/bin/captain.js plus lazily loaded
// chunks: one file per command instead of ~150 small ES modules (zod alone is ~95), which takes
// ~50 ms off every `captain` start. The library API (dist/index.js) stays unbundled.
import { readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunk names carry content hashes: clear the old ones.
rmSync('dist/bin', { recursive: true, force: true });

const banner = {
  js: [
    "import { createRequire as __captainCreateRequire } from 'node:module';",
    "import { fileURLToPath as __captainFileURLToPath } from 'node:url';",
    'const require = __captainCreateRequire(import.meta.url);',
    'const __filename = __captainFileURLToPath(import.meta.url);',
    "const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));",
  ].join(' '),
};
const common = {
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // CommonJS dependencies (commander, proper-lockfile, write-file-atomic, ajv) call require() for
  // node's built-ins and read __filename (write-file-atomic hashes it into temp file names).
  banner,
  // Less source to parse at start-up (~8 ms); identifiers stay, so stack traces keep their names.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
};

/**
 * What only `captain mcp` loads: the MCP SDK and full zod (the SDK wants zod schemas), bundled
 * apart into dist/bin/vendor/, one file per specifier the CLI imports. In the same build as the
 * rest, full zod's files would share zod/mini's core files and esbuild splits by file: everything
 * full zod keeps alive there (JSON schema, compilers) would load with every command.
 */
const VENDORED = {
  zod: 'zod',
  'mcp-server': '@modelcontextprotocol/sdk/server/mcp.js',
  'mcp-types': '@modelcontextprotocol/sdk/types.js',
};
await build({ ...common, entryPoints: VENDORED, outdir: 'dist/bin/vendor', chunkNames: '[name]-[hash]' });

const vendored = {
  name: 'vendored',
  setup(build) {
    for (const [file, specifier] of Object.entries(VENDORED)) {
      const filter = new RegExp(`^${specifier.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`);
      // Relative to dist/bin/chunks/, where every importer of these lands (see the check below).
      build.onResolve({ filter }, () => ({ path: `../vendor/${file}.js`, external: true }));
    }
  },
};

await build({
  ...common,
  entryPoints: { captain: 'dist/cli/main.js' },
  outdir: 'dist/bin',
  chunkNames: 'chunks/[name]-[hash]',
  // ink loads React's devtools only when DEV=true; they are not a dependency.
  external: ['react-devtools-core'],
  plugins: [vendored],
});
if (readFileSync('dist/bin/captain.js', 'utf8').includes('../vendor/')) {
  throw new Error('dist/bin/captain.js imports a vendored module: the ../vendor/ path is only right from dist/bin/chunks/');
}
