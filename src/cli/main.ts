#!/usr/bin/env node
/** The `captain` bin. Everything lives in program.ts so tests can drive it in-process too. */
import { runCli } from './program.js';

// A reader that went away (`captain status --json | head`) ends the command quietly, as `git log | head` does,
// instead of an unhandled EPIPE with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

process.exitCode = await runCli(process.argv.slice(2));
