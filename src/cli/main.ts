#!/usr/bin/env node
/** The `captain` bin. Everything lives in program.ts so tests can drive it in-process too. */
import { runCli } from './program.js';

process.exitCode = await runCli(process.argv.slice(2));
