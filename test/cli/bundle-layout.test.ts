/**
 * The bundled bin's layout (scripts/bundle.mjs): `dist/bin/captain.js` sends every command to its
 * own bundle, and a command's bundle stays small: `status` loads its own folder's files only (no MCP
 * SDK, no full zod from dist/bin/vendor/), a few hundred KB. `status` runs from its CommonJS bundle
 * with the V8 code cache made at build time; without the cache, or with a damaged or foreign one,
 * it prints the same.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { Script } from 'node:vm';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildProgram } from '../../src/cli/program.js';
import { CLI, runCaptain } from '../helpers/cli.js';

const BIN = dirname(CLI);

const dispatchTable = (): Record<string, string> => {
  const match = /const BUNDLE = (\{.*\});/.exec(readFileSync(CLI, 'utf8'));
  assert.ok(match, 'dist/bin/captain.js has its BUNDLE table');
  return JSON.parse(match[1]!) as Record<string, string>;
};

/** The files a module loads before it runs (static imports, followed), with their sizes. */
const staticGraph = (entry: string): Map<string, number> => {
  const files = new Map<string, number>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    const text = readFileSync(file, 'utf8');
    files.set(file, text.length);
    for (const m of text.matchAll(/(?:^|[;\s}])import\s*(?:[\w*{}\s,$]+from\s*)?["'](\.{1,2}\/[^"']+)["']/g)) visit(resolve(dirname(file), m[1]!));
  };
  visit(entry);
  return files;
};

describe('bundle layout', () => {
  it('sends each command of the program to an existing bundle; anything else to all/', async () => {
    const table = dispatchTable();
    const names = (await buildProgram()).commands.map((command) => command.name());
    assert.deepEqual(Object.keys(table).sort(), [...names].sort());
    for (const module of new Set(Object.values(table))) assert.ok(existsSync(join(BIN, module, 'captain.js')), `dist/bin/${module}/captain.js`);
    assert.ok(existsSync(join(BIN, 'all', 'captain.js')));
    const typo = runCaptain(['statsu']);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /unknown command 'statsu'[\s\S]*Did you mean status\?/);
  });

  it('--version answers without building the commands; --help lists them all', () => {
    for (const flag of ['--version', '-V']) assert.deepEqual(runCaptain([flag]), { code: 0, stdout: '0.1.0\n', stderr: '' });
    const help = runCaptain(['--help']);
    assert.equal(help.code, 0);
    for (const name of Object.keys(dispatchTable())) assert.match(help.stdout, new RegExp(`\\n  ${name}\\b`), name);
  });

  it('status loads only its own bundle: no MCP SDK or full zod, under 450 KB', () => {
    const graph = staticGraph(join(BIN, 'status', 'captain.js'));
    for (const file of graph.keys()) assert.equal(dirname(file), join(BIN, 'status'), `${file} is outside dist/bin/status/`);
    const bytes = [...graph.values()].reduce((sum, size) => sum + size, 0);
    assert.ok(bytes < 450_000, `status loads ${bytes} bytes`);
    // The dispatcher itself loads nothing before it picks a bundle.
    assert.deepEqual([...staticGraph(CLI).keys()], [CLI]);
  });

  it('the dispatcher is CommonJS (no ES module loader at start); every bundle folder is ES modules again', () => {
    assert.deepEqual(JSON.parse(readFileSync(join(BIN, 'package.json'), 'utf8')), { type: 'commonjs' });
    const folders = readdirSync(BIN, { withFileTypes: true }).filter((entry) => entry.isDirectory());
    assert.ok(folders.length > 5);
    for (const folder of folders) assert.deepEqual(JSON.parse(readFileSync(join(BIN, folder.name, 'package.json'), 'utf8')), { type: 'module' }, folder.name);
    // Node would refuse `require` in an ES module and `import` statements in CommonJS: the bin has only the former.
    const bin = readFileSync(CLI, 'utf8');
    assert.match(bin, /require\('node:fs'\)/);
    assert.doesNotMatch(bin, /^import\s/m);
    // A status builds no ES module graph (an ES module entry has Node translate it, and build node:fs's module facade).
    const probe = spawnSync(process.execPath, ['--require', fileURLToPath(new URL('../fixtures/report-module-loads.cjs', import.meta.url)), CLI, 'status', '--run-dir', fileURLToPath(new URL('../fixtures/golden/runs/timestamps', import.meta.url)), '--json', '--snapshot'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    assert.equal(probe.status, 0, probe.stderr);
    const loaded = JSON.parse(/MODULE_LOADS (.*)/.exec(probe.stderr)?.[1] ?? '[]') as string[];
    assert.ok(loaded.includes('NativeModule fs'), 'the probe sees the module list');
    assert.ok(!loaded.some((name) => /internal\/modules\/esm\/(translators|module_map)$/.test(name)), 'no ES module graph was built');
  });

  it('the MCP bundle reaches the vendored SDK', () => {
    const mcp = join(BIN, 'mcp');
    const texts = [...staticGraph(join(mcp, 'captain.js')).keys()].map((file) => readFileSync(file, 'utf8')).join('\n');
    const server = readFileSync(join(mcp, /import\("\.\/(server-[\w-]+\.js)"\)/.exec(texts)?.[1] ?? 'missing'), 'utf8');
    assert.match(server, /"\.\.\/vendor\/mcp-server\.js"/);
    assert.ok(existsSync(join(BIN, 'vendor', 'mcp-server.js')));
  });

  it('status runs from its code-cached CommonJS bundle; a missing, damaged or foreign cache prints the same', () => {
    const cjs = join(BIN, 'status', 'captain.cjs');
    const cache = `${cjs}.cache`;
    assert.ok(existsSync(cjs) && existsSync(cache), 'dist/bin/status/captain.cjs and its .cache');
    // The cache fits this Node and the bundle as the bin wraps it (a stale cache would be rejected).
    const wrapped = `(function (exports, require, module, __filename, __dirname) {${readFileSync(cjs, 'utf8')}\n})`;
    assert.ok(readFileSync(CLI, 'utf8').includes('`(function (exports, require, module, __filename, __dirname) {${readFileSync(file, \'utf8\')}\n})`'), 'the bin wraps the bundle as this test does');
    assert.equal(new Script(wrapped, { filename: cjs, cachedData: readFileSync(cache) }).cachedDataRejected, false);
    // A copy of the package's bins, to damage its cache without touching dist/.
    const root = mkdtempSync(join(tmpdir(), 'captain-code-cache-'));
    try {
      cpSync(BIN, join(root, 'dist', 'bin'), { recursive: true });
      mkdirSync(join(root, 'dist', 'cli'));
      writeFileSync(join(root, 'package.json'), '{"type": "module"}');
      const bin = join(root, 'dist', 'bin', 'captain.js');
      const copy = join(root, 'dist', 'bin', 'status', 'captain.cjs.cache');
      const run = fileURLToPath(new URL('../fixtures/golden/runs/timestamps', import.meta.url));
      const status = (env: Record<string, string> = {}, args = ['--run-dir', run]): { code: number | null; stdout: string; stderr: string } => {
        const result = spawnSync(process.execPath, [bin, 'status', ...args, '--json', '--snapshot'], { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
        // Ages move between runs: compare the rest.
        return { code: result.status, stdout: result.stdout.replace(/\d+/g, '#'), stderr: result.stderr };
      };
      const expected = status({ CAPTAIN_NO_CODE_CACHE: '1' });
      assert.equal(expected.code, 0, expected.stderr);
      assert.match(expected.stdout, /"worker_visibility"/);
      assert.deepEqual(status(), expected, 'with the cache');
      writeFileSync(copy, Buffer.alloc(4096, 7));
      assert.deepEqual(status(), expected, 'a damaged cache');
      cpSync(cache, copy);
      truncateSync(copy, 1000);
      assert.deepEqual(status(), expected, 'a cache cut short');
      rmSync(copy);
      assert.deepEqual(status(), expected, 'no cache');
      // The ES module bundle, as every other command runs, prints the same too.
      const esm = spawnSync(process.execPath, [join(root, 'dist', 'bin', 'status', 'captain.js'), 'status', '--run-dir', run, '--json', '--snapshot'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      assert.deepEqual({ code: esm.status, stdout: esm.stdout.replace(/\d+/g, '#'), stderr: esm.stderr }, expected);
      // Errors and exit codes are the same.
      const missing = join(root, 'no-such-run');
      const failed = status({}, ['--run-dir', missing]);
      assert.notEqual(failed.code, 0);
      assert.deepEqual(status({ CAPTAIN_NO_CODE_CACHE: '1' }, ['--run-dir', missing]), failed);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
