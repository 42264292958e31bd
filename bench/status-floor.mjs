#!/usr/bin/env node
// The floor `captain status` is compared with (issue 8, section 6): a bare Node scan of the same
// run as a fresh process — every delegations/*.json read and JSON.parse'd, its raw events file
// stat'ed, and kill(pid, 0) for a running worker's pid — and nothing else (no derivation, no
// output beyond a count). Takes captain's status arguments and ignores all but --run-dir.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const runDir = process.argv[process.argv.indexOf('--run-dir') + 1];
const dir = join(runDir, 'delegations');
let records = 0;
let alive = 0;
for (const name of readdirSync(dir)) {
  if (!name.endsWith('.json') || name.endsWith('.result.json')) continue;
  const record = JSON.parse(readFileSync(join(dir, name), 'utf8'));
  records += 1;
  const raw = record.worker_launch_evidence?.raw_events_file ?? join(runDir, 'raw-events', `${record.delegation_id}.jsonl`);
  try {
    statSync(raw);
  } catch {
    // no raw events yet
  }
  const pid = record.worker_lifecycle?.process_id;
  if (record.child_agent?.status === 'running' && Number.isSafeInteger(pid) && pid > 0) {
    try {
      process.kill(pid, 0);
      alive += 1;
    } catch {
      // gone
    }
  }
}
process.stdout.write(`${JSON.stringify({ records, alive, errors: [] }, null, 2)}\n`);
