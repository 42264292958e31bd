/** Temp run directories in upstream CCC's layout, for integration tests. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RUNTIME_CONFIG, type RuntimeConfig } from '../../src/config/defaults.js';
import { openRunContext, type RunContext } from '../../src/ops/context.js';
import type { JsonObject } from '../../src/util/json.js';

export interface TempRun {
  runDir: string;
  writeDelegation(record: JsonObject, fileName?: string): string;
  writeRaw(delegationId: string, text: string): string;
  writeTaskCard(record: JsonObject): string;
  context(config?: Partial<RuntimeConfig>, now?: () => number, allowOutsidePaths?: boolean): RunContext;
  remove(): void;
}

export const makeTempRun = (run: JsonObject = { run_id: 'run-1', active_task_card_id: 'card-1' }): TempRun => {
  const root = mkdtempSync(join(tmpdir(), 'captain-run-'));
  const runDir = join(root, 'run');
  for (const sub of ['delegations', 'task-cards', 'raw-events']) mkdirSync(join(runDir, sub), { recursive: true });
  writeFileSync(join(runDir, 'run.json'), JSON.stringify(run, null, 2));
  return {
    runDir,
    writeDelegation(record, fileName) {
      const path = join(runDir, 'delegations', fileName ?? `${String(record.delegation_id)}.json`);
      writeFileSync(path, JSON.stringify(record, null, 2));
      return path;
    },
    writeRaw(delegationId, text) {
      const path = join(runDir, 'raw-events', `${delegationId}.jsonl`);
      writeFileSync(path, text);
      return path;
    },
    writeTaskCard(record) {
      const path = join(runDir, 'task-cards', `${String(record.task_card_id)}.json`);
      writeFileSync(path, JSON.stringify(record, null, 2));
      return path;
    },
    context(config = {}, now = Date.now, allowOutsidePaths = false) {
      return openRunContext(runDir, { ...DEFAULT_RUNTIME_CONFIG, ...config }, { now, allowOutsidePaths });
    },
    remove() {
      rmSync(root, { recursive: true, force: true });
    },
  };
};

export const CODEX_OK_STREAM = [
  '{"type":"thread.started","thread_id":"0199a213-81c0-7800-8aa1-bbab2a035a53"}',
  '{"type":"turn.started"}',
  '{"type":"item.completed","item":{"id":"item_0","type":"agent_message","text":"All done."}}',
  '{"type":"turn.completed","usage":{"input_tokens":100,"cached_input_tokens":0,"output_tokens":20}}',
  '',
].join('\n');
