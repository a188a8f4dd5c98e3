import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createCore } from '../core/core';
import { KeyFileSecretBox } from '../inventory/secret-box';
import { defaultHeadlessDataDir, timeoutScaleFromEnv } from '../lib/app-paths';
import { DownloadShelf } from './downloads';
import { startHeadlessServer } from './server';

const USAGE = `Usage: npm run serve -- [--port N] [--listen ADDR] [--data-dir DIR]
  --port N        port for the wizard and its API (default 8765; 0 picks a free one)
  --listen ADDR   address to listen on (default 127.0.0.1). Anything else exposes the app to the network: only on purpose.
  --data-dir DIR  where nodes and settings are kept (default ${defaultHeadlessDataDir()})`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8765' },
      listen: { type: 'string', default: '127.0.0.1' },
      'data-dir': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port ${values.port} is not a port number.\n${USAGE}`);
  const dataDir = path.resolve(values['data-dir'] ?? defaultHeadlessDataDir());
  const here = path.dirname(fileURLToPath(import.meta.url));
  const rendererDir = process.env.RACKBOOT_RENDERER_DIR ?? path.resolve(here, '../renderer');

  const secrets = await KeyFileSecretBox.load(path.join(dataDir, 'secret.key'));
  const downloads = new DownloadShelf();
  const core = await createCore({
    dataDir,
    secrets,
    shell: 'headless',
    version: process.env.npm_package_version ?? 'dev',
    benchHooks: process.env.RACKBOOT_BENCH === '1',
    deployTuning: { timeoutScale: timeoutScaleFromEnv() },
    exportDestination: downloads.destination,
  });
  const server = await startHeadlessServer({ core, rendererDir, host: values.listen, port, downloads });
  if (values.listen !== '127.0.0.1' && values.listen !== '::1' && values.listen !== 'localhost') {
    console.warn(`Warning: listening on ${values.listen}: anyone who can reach it and has the token controls your BMCs.`);
  }
  console.log(`Rackboot headless: open ${server.url}`);
  console.log(`Data: ${dataDir}`);

  const stop = (): void => {
    void server.close().then(() => core.close()).then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
