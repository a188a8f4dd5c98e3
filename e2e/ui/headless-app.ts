import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** A running `npm run serve` equivalent on a free loopback port, with its own data folder. */
export interface HeadlessApp {
  url: string;
  stop(): Promise<void>;
}

const ENTRY = path.resolve('dist/electron/headless.mjs');

/** `env` adds to this process's environment (e.g. RACKBOOT_BENCH=1 for the benchmark hooks). */
export async function startHeadlessApp(dataDir: string, env: Record<string, string> = {}): Promise<HeadlessApp> {
  const child: ChildProcess = spawn(process.execPath, [ENTRY, '--port', '0', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`headless server did not start:\n${output}`)), 15_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /open (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`headless server exited with ${code}:\n${output}`)));
  });
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
