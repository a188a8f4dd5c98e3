// Runs our TFTP server with a JSON config (argv[2]) inside a test namespace; prints one JSON line per event.
// First line: {"type":"listening",...}; exits cleanly on SIGTERM or when stdin closes.
import { TftpServer, type TftpServerOptions } from '../../electron/pxe/tftp/server';
import { printLine, runHarnessService } from './lab';

interface HarnessConfig extends Omit<TftpServerOptions, 'extraFiles'> {
  extraFiles?: Record<string, string>;
  /** Print progress events too (off by default: the benchmark wants a quiet server). */
  progress?: boolean;
}

const config = JSON.parse(process.argv[2] ?? '{}') as HarnessConfig;
const server = new TftpServer({
  ...config,
  extraFiles: config.extraFiles ? new Map(Object.entries(config.extraFiles)) : undefined,
});
server.onTransfer((event) => {
  if (event.phase !== 'progress' || config.progress) printLine(event);
});

runHarnessService(server);
