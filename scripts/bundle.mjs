#!/usr/bin/env node
// Bundles the built CLI (dist/cli/main.js, from tsc) for a short start: one bundle per command
// module (dist/bin/<module>/captain.js: `captain status` loads one ~300 KB file instead of ~150
// small ES modules), one with every command (dist/bin/all/), the MCP SDK and full zod apart
// (dist/bin/vendor/), and the bin dist/bin/captain.js that picks a bundle from its first argument.
// The library API (dist/index.js) stays unbundled.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/**
 * Command modules that are also built as one CommonJS file (dist/bin/<module>/captain.cjs) with a
 * V8 code cache beside it (captain.cjs.cache): `captain status` is run in loops by people and
 * scripts, and compiling its ~300 KB at every start costs ~15 ms of its ~75 ms on an empty run
 * (Node 20 has no compile cache for ES modules; `vm.Script` takes one for a script). The cache is
 * made here by running the bundle (so it also holds the functions status compiles while it runs);
 * V8 checks it against the source, its version and its flags and compiles as usual when it does
 * not fit (another Node), so a stale or foreign cache costs time, never correctness.
 */
const CODE_CACHED = ['status'];
const withoutTopLevelAwait = {
  name: 'without-top-level-await',
  setup(build) {
    build.onLoad({ filter: /\/dist\/cli\/main\.js$/ }, () => {
      const main = readFileSync('dist/cli/main.js', 'utf8');
      const awaited = 'process.exitCode = await runCli(process.argv.slice(2));';
      if (!main.includes(awaited)) throw new Error(`dist/cli/main.js no longer ends with \`${awaited}\`: update scripts/bundle.mjs`);
      return { contents: main.replace(awaited, 'runCli(process.argv.slice(2)).then((code) => { process.exitCode = code; });'), loader: 'js', resolveDir: 'dist/cli' };
    });
  },
};
await Promise.all(
  CODE_CACHED.map(async (module) => {
    const outfile = `dist/bin/${module}/captain.cjs`;
    await build({
      ...common,
      splitting: false,
      format: 'cjs',
      entryPoints: ['dist/cli/main.js'],
      outfile,
      banner: { js: "const __captainImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
      define: { 'import.meta.url': '__captainImportMetaUrl' },
      external: ['react-devtools-core'],
      plugins: [vendored, onlyCommand(module), withoutTopLevelAwait],
    });
    // Run inside a function by the bin (vm.Script), where a #! line is a syntax error.
    const source = readFileSync(outfile, 'utf8').replace(/^#!.*\n/, '');
    // A dynamic import() needs the ES module loader, which vm.Script does not give (vendor/ is ES modules).
    if (/\bimport\(|\.\.\/vendor\//.test(source)) throw new Error(`${outfile} imports a module at run time: it cannot be code-cached`);
    writeFileSync(outfile, source);
  }),
);

// The bin: picks the bundle from the first argument. It is CommonJS (dist/bin/package.json says so;
// every bundle folder says "module" again): Node starts a CommonJS entry without its ES module
// loader, and an ES module entry that imports node:fs also has the loader build node:fs's module
// facade, which loads fs streams and fs/promises (~5 ms of each start, measured on `captain
// status` over an empty run). Only the bundles not code-cached are ES modules, loaded by import().
for (const folder of readdirSync('dist/bin', { withFileTypes: true })) {
  if (folder.isDirectory()) writeFileSync(`dist/bin/${folder.name}/package.json`, '{ "type": "module" }\n');
}
writeFileSync('dist/bin/package.json', '{ "type": "commonjs" }\n');
writeFileSync(
  'dist/bin/captain.js',
  `#!/usr/bin/env node
'use strict';
// Written by scripts/bundle.mjs: each command module has its own bundle; anything else loads them all.
// The modules in CODE_CACHED run from their CommonJS bundle with V8's code cache (see scripts/bundle.mjs).
const { readFileSync, writeFileSync } = require('node:fs');
const BUNDLE = ${JSON.stringify(commandModule)};
const CODE_CACHED = ${JSON.stringify(CODE_CACHED)};
const name = process.argv[2];
const bundle = name !== undefined && Object.hasOwn(BUNDLE, name) ? BUNDLE[name] : 'all';
if (CODE_CACHED.includes(bundle) && process.env.CAPTAIN_NO_CODE_CACHE !== '1') {
  const file = \`\${__dirname}/\${bundle}/captain.cjs\`;
  let cachedData;
  try {
    cachedData = readFileSync(\`\${file}.cache\`);
  } catch {
    // none (yet): compiled as usual
  }
  const source = \`(function (exports, require, module, __filename, __dirname) {\${readFileSync(file, 'utf8')}\n})\`;
  const { Script } = require('node:vm');
  const script = new Script(source, { filename: file, cachedData });
  if (process.env.CAPTAIN_WRITE_CODE_CACHE === '1') process.once('exit', () => writeFileSync(\`\${file}.cache\`, script.createCachedData()));
  const commonJs = { exports: {} };
  script.runInThisContext().call(commonJs.exports, commonJs.exports, require('node:module').createRequire(file), commonJs, file, \`\${__dirname}/\${bundle}\`);
} else {
  // A failure to load is an unhandled rejection: printed, exit code 1 (as a top-level await gave).
  import(require('node:url').pathToFileURL(\`\${__dirname}/\${bundle}/captain.js\`).href);
}
`,
  { mode: 0o755 },
);

// The code caches: each bundle run as a refresh over a copy of a seed-golden test run (37 records
// in many shapes), so the cache also holds what status compiles while it reads (from its record
// cache too), observes, derives and prints. Without that run (a copy of dist/ elsewhere) the cache holds start-up only.
const cacheRoot = mkdtempSync(join(tmpdir(), 'captain-code-cache-'));
try {
  const golden = 'test/fixtures/golden/runs/timestamps';
  for (const module of CODE_CACHED) {
    const runDir = join(cacheRoot, module);
    if (existsSync(golden)) cpSync(golden, runDir, { recursive: true });
    else mkdirSync(runDir);
    const args = module === 'status' ? ['status', '--run-dir', runDir, '--json'] : [module, '--help'];
    if (module === 'status') {
      // A first status files the records in its record cache (only files 2 s old are cached), so
      // the second, which makes the code cache, also compiles the cache's paths.
      await new Promise((resolve) => setTimeout(resolve, 2_100));
      spawnSync(process.execPath, ['dist/bin/captain.js', ...args], { stdio: 'ignore' });
    }
    const made = spawnSync(process.execPath, ['dist/bin/captain.js', ...args], { env: { ...process.env, CAPTAIN_WRITE_CODE_CACHE: '1' }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (made.status !== 0 || !existsSync(`dist/bin/${module}/captain.cjs.cache`)) throw new Error(`making dist/bin/${module}/captain.cjs.cache failed (exit ${made.status}): ${made.stderr}`);
  }
} finally {
  rmSync(cacheRoot, { recursive: true, force: true });
}
