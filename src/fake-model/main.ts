#!/usr/bin/env node
/**
 * Runs the fake model server until SIGTERM or SIGINT:
 *   node dist/fake-model/main.js [--host H] [--port N] [--port-file F] [--scenario S] [--log FILE]
 * Prints the URL on stdout. `--scenario` defaults to env FAKE_SCENARIO; `--log` appends one JSON line
 * per model request. Exit code 2 for bad arguments.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { describeError } from '../errors.js';
import { startFakeModelServer, type FakeModelServerOptions } from './server.js';

const USAGE = 'usage: fake-model [--host H] [--port N] [--port-file F] [--scenario S] [--log FILE]';

const main = async (): Promise<void> => {
  let values: { host?: string; port?: string; 'port-file'?: string; scenario?: string; log?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        'port-file': { type: 'string' },
        scenario: { type: 'string' },
        log: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`fake-model: ${describeError(error)}\n${USAGE}\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`fake-model: --port: expected an integer 0..65535, got "${values.port}"\n${USAGE}\n`);
    process.exit(2);
  }
  const logFile = values.log;
  const options: FakeModelServerOptions = { port };
  if (values.host !== undefined) options.host = values.host;
  const scenario = values.scenario ?? process.env.FAKE_SCENARIO;
  if (scenario !== undefined && scenario !== '') options.defaultScenario = scenario;
  if (logFile !== undefined) options.log = (entry) => fs.appendFileSync(logFile, `${JSON.stringify(entry)}\n`);

  const server = await startFakeModelServer(options);
  const portFile = values['port-file'];
  if (portFile !== undefined) {
    // Written whole, then renamed, so a reader polling the file never sees it half written.
    fs.writeFileSync(`${portFile}.tmp`, `${server.port}\n`);
    fs.renameSync(`${portFile}.tmp`, portFile);
  }
  process.stdout.write(`${server.url}\n`);
  const stop = (): void => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
};

main().catch((error: unknown) => {
  process.stderr.write(`fake-model: ${describeError(error)}\n`);
  process.exit(1);
});
