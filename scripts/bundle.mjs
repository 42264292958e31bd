#!/usr/bin/env node
// Bundles the built CLI (dist/cli/main.js, from tsc) for a short start: one bundle per command
// module (dist/bin/<module>/captain.js: `captain status` loads one ~300 KB file instead of ~150
// small ES modules), one with every command (dist/bin/all/), the MCP SDK and full zod apart
// (dist/bin/vendor/), and the bin dist/bin/captain.js that picks a bundle from its first argument.
// The library API (dist/index.js) stays unbundled.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  // CAPTAIN_BUNDLE_READABLE=1 keeps the line breaks, so a --cpu-prof profile's line ticks point at statements.
  minifyWhitespace: process.env.CAPTAIN_BUNDLE_READABLE !== '1',
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
      // Every bundle below keeps all its files in one folder next to vendor/.
      build.onResolve({ filter }, () => ({ path: `../vendor/${file}.js`, external: true }));
    }
  },
};

/**
 * The command modules program.ts loads on demand, by command name (`start`, `task`, `runs` and
 * `budget` share `runs`). Read from tsc's output; the count check catches a changed form.
 */
const program = readFileSync('dist/cli/program.js', 'utf8');
const commandModule = Object.fromEntries([...program.matchAll(/\['([\w-]+)', async \(\) => \(await import\('\.\/commands\/([\w-]+)\.js'\)\)/g)].map((m) => [m[1], m[2]]));
if (Object.keys(commandModule).length !== program.split("import('./commands/").length - 1) {
  throw new Error('scripts/bundle.mjs cannot read the command list of dist/cli/program.js: update its pattern');
}
if (Object.values(commandModule).some((module) => module === 'all' || module === 'vendor')) {
  throw new Error('a command module named all or vendor would share a folder with another bundle');
}

/**
 * One bundle per command module (dist/bin/<module>/): program.js's import() of that module becomes
 * a static import and the other command modules are left out, so the command loads as one file
 * instead of ~20 shared chunks (each costs a resolve, a read and a compile at start-up). `all/`
 * has every command (help, version, typos).
 */
const onlyCommand = (module) => ({
  name: 'only-command',
  setup(build) {
    build.onLoad({ filter: /\/dist\/cli\/program\.js$/ }, () => {
      let imports = 0;
      const contents = program.replace(/import\('\.\/commands\/([\w-]+)\.js'\)/g, (_, name) => {
        if (name !== module) return 'Promise.resolve({})';
        imports++;
        return 'Promise.resolve(onlyCommandModule)';
      });
      if (imports === 0) throw new Error(`dist/cli/program.js does not import ./commands/${module}.js`);
      return { contents: `import * as onlyCommandModule from './commands/${module}.js';\n${contents}`, loader: 'js', resolveDir: 'dist/cli' };
    });
  },
});
const bundleCli = (folder, plugins) =>
  build({
    ...common,
    entryPoints: { captain: 'dist/cli/main.js' },
    outdir: `dist/bin/${folder}`,
    chunkNames: '[name]-[hash]',
    // ink loads React's devtools only when DEV=true; they are not a dependency.
    external: ['react-devtools-core'],
    plugins: [vendored, ...plugins],
  });
await Promise.all([bundleCli('all', []), ...[...new Set(Object.values(commandModule))].map((module) => bundleCli(module, [onlyCommand(module)]))]);

// The bin: picks the bundle from the first argument.
writeFileSync(
  'dist/bin/captain.js',
  `#!/usr/bin/env node
// Written by scripts/bundle.mjs: each command module has its own bundle; anything else loads them all.
const BUNDLE = ${JSON.stringify(commandModule)};
const name = process.argv[2];
await import(\`./\${name !== undefined && Object.hasOwn(BUNDLE, name) ? BUNDLE[name] : 'all'}/captain.js\`);
`,
  { mode: 0o755 },
);
