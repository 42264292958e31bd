/**
 * The bundled bin's layout (scripts/bundle.mjs): `dist/bin/captain.js` sends every command to its
 * own bundle, and a command's bundle stays small: `status` loads its own folder's files only (no MCP
 * SDK, no full zod from dist/bin/vendor/), a few hundred KB.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
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

  it('the MCP bundle reaches the vendored SDK', () => {
    const mcp = join(BIN, 'mcp');
    const texts = [...staticGraph(join(mcp, 'captain.js')).keys()].map((file) => readFileSync(file, 'utf8')).join('\n');
    const server = readFileSync(join(mcp, /import\("\.\/(server-[\w-]+\.js)"\)/.exec(texts)?.[1] ?? 'missing'), 'utf8');
    assert.match(server, /"\.\.\/vendor\/mcp-server\.js"/);
    assert.ok(existsSync(join(BIN, 'vendor', 'mcp-server.js')));
  });
});
