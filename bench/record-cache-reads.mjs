#!/usr/bin/env node
// The read path of `captain status` alone, in one process: every delegation file of a run read as
// status reads it (open + fstat + read + close + parse) and through the record cache (stat + cached
// text + hash + parse), alternating, 8 rounds each; CPU ms per round (user + system), min and
// median. The run needs a warm cache file first (run `captain status` on it twice, 2 s apart).
//   npm run build && node bench/record-cache-reads.mjs RUN_DIR
import { openRecordCache } from '../dist/store/record-cache.js';
import { readRecordFile, listDelegationFiles } from '../dist/store/records.js';
import { createReadScratch } from '../dist/store/json-file.js';

const runDir = process.argv[2];
if (runDir === undefined) {
  console.error('usage: node bench/record-cache-reads.mjs RUN_DIR');
  process.exit(2);
}
const paths = listDelegationFiles(runDir);
const scratch = createReadScratch();
const cpu = { cache: [], files: [] };
let hits = 0;
for (let round = 0; round < 8; round += 1) {
  for (const mode of round % 2 === 0 ? ['files', 'cache'] : ['cache', 'files']) {
    const started = process.cpuUsage();
    if (mode === 'cache') {
      const cache = openRecordCache(runDir);
      for (const path of paths) cache.read(path, scratch);
      hits = cache.counts().hits;
      cache.discard();
    } else {
      for (const path of paths) readRecordFile(path, scratch);
    }
    const used = process.cpuUsage(started);
    cpu[mode].push(Math.round((used.user + used.system) / 1000));
  }
}
for (const [mode, values] of Object.entries(cpu)) {
  const sorted = [...values].sort((a, b) => a - b);
  console.log(`${mode}: ${values.join(' ')} ms CPU; min ${sorted[0]}, median ${sorted[Math.floor(sorted.length / 2)]}`);
}
console.log(`${paths.length} files, ${hits} served from the cache`);
