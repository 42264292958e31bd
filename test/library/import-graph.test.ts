/**
 * The import graph keeps its layers: the library entry (`src/index.ts`) reaches nothing of the CLI,
 * the fake model server or the demo; and only the dev-only folders (and the CLI's `demo` command,
 * which runs the demo) import the fake model server or the demo.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const SRC = join(ROOT, 'src');

/** Relative module specifiers a TypeScript file imports or re-exports (static and dynamic). */
export const importsOf = (source: string): string[] => {
  const found: string[] = [];
  const patterns = [
    /\b(?:import|export)\s[^'";]*?\sfrom\s*['"]([^'"]+)['"]/g, // import x from '…', export { x } from '…', import type …
    /\bimport\s*['"]([^'"]+)['"]/g, // import '…' (side effects)
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g, // import('…')
  ];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) found.push(match[1]!);
  return found.filter((s) => s.startsWith('.'));
};

const resolveTs = (from: string, specifier: string): string => {
  const target = resolve(dirname(from), specifier);
  return target.endsWith('.js') ? `${target.slice(0, -3)}.ts` : target;
};

/** Every src file reachable from `entry` through relative imports. */
const reachable = (entry: string): Set<string> => {
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const specifier of importsOf(readFileSync(file, 'utf8'))) queue.push(resolveTs(file, specifier));
  }
  return seen;
};

const allSources = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? allSources(path) : path.endsWith('.ts') ? [path] : [];
  });

const rel = (path: string): string => relative(ROOT, path);
const under = (path: string, folder: string): boolean => rel(path).startsWith(`src/${folder}/`);

describe('import graph', () => {
  it('the parser sees every kind of import (so the checks below can fail)', () => {
    const source = [
      "import { a } from './a.js';",
      "import type { B } from '../b.js';",
      "export { c } from './c.js';",
      "export * from './d.js';",
      "import './e.js';",
      "const f = await import('./f.js');",
      "import {\n  g,\n  h,\n} from './gh.js';",
      "import { x } from 'node:fs';",
    ].join('\n');
    assert.deepEqual(importsOf(source).sort(), ['../b.js', './a.js', './c.js', './d.js', './e.js', './f.js', './gh.js']);
  });

  it('src/index.ts reaches no file of src/cli, src/fake-model or src/demo', () => {
    const files = [...reachable(join(SRC, 'index.ts'))];
    assert.ok(files.length > 30, `the walk found the library (${files.length} files)`);
    for (const file of files) assert.ok(statSync(file).isFile(), `${rel(file)} exists`);
    const offenders = files.filter((f) => under(f, 'cli') || under(f, 'fake-model') || under(f, 'demo')).map(rel);
    assert.deepEqual(offenders, []);
  });

  it('only src/fake-model, src/demo and the CLI demo command import the fake model server or the demo', () => {
    const offenders: string[] = [];
    for (const file of allSources(SRC)) {
      if (under(file, 'fake-model') || under(file, 'demo') || rel(file) === 'src/cli/commands/demo.ts') continue;
      for (const specifier of importsOf(readFileSync(file, 'utf8'))) {
        const target = resolveTs(file, specifier);
        if (under(target, 'fake-model') || under(target, 'demo')) offenders.push(`${rel(file)} -> ${specifier}`);
      }
    }
    assert.deepEqual(offenders, []);
  });
});
