import { Command } from 'commander';
import { CaptainError } from '../../errors.js';
import { startDashboard } from '../../dashboard/server.js';
import { resolveConfigFromOptions, type CommonOptions } from '../common.js';
import { RUNTIME_CONFIG_FLAGS } from '../../config/index.js';

export const dashboardCommand = (): Command => {
  const command = new Command('dashboard')
    .description('a local web dashboard of the runs of the workspace (or one run), live, on 127.0.0.1; prints its URL (with an access token) first')
    .option('--run-dir <dir>', 'show only this run')
    .option('--workspace <dir>', 'the workspace (the folder holding .captain/) instead of searching from here up')
    .option('--port <n>', 'the port (default: a free one)')
    .option('--config <file>', 'runtime config file (thresholds used to judge workers)');
  for (const flag of RUNTIME_CONFIG_FLAGS) command.option(flag.flags, flag.description);
  return command.action(async (options: CommonOptions & { workspace?: string; port?: string }) => {
    const port = options.port === undefined ? 0 : Number(options.port);
    if (!Number.isSafeInteger(port) || port < 0 || port > 65_535) throw new CaptainError('USAGE', `--port ${options.port}: expected a port number (0: a free one)`);
    if (options.runDir !== undefined && options.workspace !== undefined) throw new CaptainError('USAGE', '--run-dir and --workspace exclude each other: pick one');
    const token = process.env['CAPTAIN_DASHBOARD_TOKEN'];
    const dashboard = await startDashboard({
      config: resolveConfigFromOptions(options),
      port,
      ...(token === undefined || token === '' ? {} : { token }),
      ...(options.runDir === undefined ? {} : { runDir: options.runDir }),
      ...(options.workspace === undefined ? {} : { workspace: options.workspace }),
    });
    process.stdout.write(`${dashboard.url}\n`);
    process.stderr.write('captain dashboard: serving on 127.0.0.1 only; open the URL above (it carries the access token). Ctrl-C to stop.\n');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await dashboard.close();
  });
};
