import { Command } from 'commander';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { CaptainError } from '../../errors.js';
import { captainCliCommand } from '../../ops/self-command.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { alreadySupervised, currentHolder, startSupervisor } from '../../supervisor/index.js';
import { contextFromOptions, hooksFromOptions, MAX_PARALLEL_HELP, parseMaxParallel, withHookOption, withRunOptions, type CommonOptions } from '../common.js';
import { printJson, printText } from '../output.js';
import { DETACH_START_WAIT_MS } from '../../config/defaults.js';


/** The last lines of the background supervisor's log (why it stopped). */
const readTail = (path: string): string => {
  try {
    return readFileSync(path, 'utf8').trim().split('\n').slice(-3).join(' | ') || 'no output';
  } catch {
    return 'no log';
  }
};

export const superviseCommand = (): Command =>
  withHookOption(withRunOptions(new Command('supervise')))
    .description('watch a run: refresh heartbeats, reclaim stuck workers, retry, launch queued workers, fan in (one per run)')
    .option('--max-parallel <n|auto>', MAX_PARALLEL_HELP)
    .option('--detach', 'run in the background (survives this shell); prints its pid')
    .action(async (options: CommonOptions & { maxParallel?: string; detach?: boolean; hook?: string[] }) => {
      const ctx = contextFromOptions(options);
      const hooks = hooksFromOptions(options);
      const maxParallel = parseMaxParallel(options.maxParallel);
      if (options.detach) {
        const self = captainCliCommand();
        // The background supervisor gets the run this one resolved (not a fresh "latest run" lookup).
        const args = [...process.argv.slice(2).filter((a) => a !== '--detach'), ...(options.runDir === undefined ? ['--run-dir', ctx.runDir] : [])];
        const logPath = join(ctx.runDir, 'supervisor.log');
        const holder = currentHolder(ctx.runDir);
        if (holder !== null) throw alreadySupervised(ctx.runDir, holder);
        const fd = openSync(logPath, 'a');
        const child = spawn(self.file, [...self.args, ...args], { detached: true, stdio: ['ignore', fd, fd], cwd: process.cwd() });
        closeSync(fd);
        // Report success only once the background supervisor holds the run (it may lose a race, or fail).
        const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
        const deadline = Date.now() + DETACH_START_WAIT_MS;
        let status: 'held' | 'exited' | 'slow' = 'slow';
        while (Date.now() < deadline) {
          if (currentHolder(ctx.runDir)?.pid === child.pid) {
            status = 'held';
            break;
          }
          const code = await Promise.race([exited, sleep(25).then(() => undefined)]);
          if (code !== undefined) {
            status = 'exited';
            break;
          }
        }
        if (status === 'exited') {
          throw new CaptainError('IO', `the background supervisor (pid ${child.pid}) exited at once: ${readTail(logPath)}`);
        }
        child.unref();
        if (options.json) return printJson({ pid: child.pid, log: logPath });
        return printText(`supervisor started in the background: pid ${child.pid}, log ${logPath}`);
      }
      const supervisor = await startSupervisor(ctx, {
        ...(maxParallel === undefined ? {} : { maxParallel }),
        command: `captain supervise (pid ${process.pid})`,
        hooks,
        onHookDelivered: (d) => process.stderr.write(`captain supervise: hook ${d.hook_id} ${d.event} ${d.outcome}${d.detail === null ? '' : `: ${d.detail}`}\n`),
        onEvent: (event) => (options.json ? printJson(event) : printText(`${event.at} ${event.event} ${[event.delegation_id, event.from !== undefined ? `${String(event.from)} -> ${String(event.to)}` : '', event.termination ?? '', event.summary ?? ''].filter((x) => x !== undefined && x !== null && x !== '').join(' ')}`)),
        onError: (error) => process.stderr.write(`captain supervise: ${error instanceof Error ? error.message : String(error)}\n`),
      });
      if (!options.json) printText(`supervising ${ctx.runDir} (pid ${process.pid}); Ctrl-C to stop`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await supervisor.stop();
    });
