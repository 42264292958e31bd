import { Command } from 'commander';
import { runDemo } from '../../demo/demo.js';
import { EXIT } from '../exit.js';

export const demoCommand = (): Command =>
  new Command('demo')
    .description('a real run: four real Codex CLI workers against a fake model server on 127.0.0.1, supervised to fan-in (< 1 min)')
    .option('--runs-dir <dir>', 'where the run is created', '.captain/runs')
    .action(async (options: { runsDir: string }) => {
      const code = await runDemo({ runsDir: options.runsDir });
      if (code !== 0) process.exitCode = code === 4 ? EXIT.timeout : EXIT.error;
    });
