/** Rewrites the README's derived tables (worker kinds, prices) from the registry: `npx tsx scripts/update-readme-tables.ts`. */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { replaceDerivedTables } from '../src/docs/readme-tables.js';

const readme = fileURLToPath(new URL('../README.md', import.meta.url));
writeFileSync(readme, replaceDerivedTables(readFileSync(readme, 'utf8')));
