/** FileRunStore (the run directory) against the RunStore conformance suite, with real files and real processes. */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileRunStore } from '../../src/store/file-run-store.js';
import { runLayout } from '../../src/store/paths.js';
import { REPO_ROOT } from './helpers.js';
import { runStoreConformance, type RunStoreHarness } from './run-store-conformance.js';

runStoreConformance('FileRunStore', (): RunStoreHarness => {
  const root = mkdtempSync(join(tmpdir(), 'captain-store-'));
  const runDir = join(root, 'run');
  mkdirSync(join(runDir, 'delegations'), { recursive: true });
  mkdirSync(join(runDir, 'raw-events'), { recursive: true });
  writeFileSync(join(runDir, 'run.json'), JSON.stringify({ run_id: 'run-1' }));
  const children: Array<ReturnType<typeof spawn>> = [];
  return {
    store: new FileRunStore(runDir),
    corruptRecord: (id) => writeFileSync(join(runDir, 'delegations', `${id}.json`), '{"delegation_id": "trunc'),
    appendRawEventBytes: (bytes) => appendFileSync(runLayout(runDir).eventsJsonl, bytes),
    spawnSlotHolder: () =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'test/fixtures/store/hold-supervisor-slot.ts'), runDir], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
        children.push(child);
        let stderr = '';
        child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
        child.stdout!.on('data', (c: Buffer) => {
          if (!c.toString().includes('held')) return;
          resolve({
            pid: child.pid!,
            kill: () =>
              new Promise<void>((done) => {
                child.once('exit', () => done());
                child.kill('SIGKILL');
              }),
          });
        });
        child.once('exit', (code) => reject(new Error(`slot holder exited (${code}) before holding: ${stderr}`)));
      }),
    cleanup: () => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      rmSync(root, { recursive: true, force: true });
    },
  };
});
