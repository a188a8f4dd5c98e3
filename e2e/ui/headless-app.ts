import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import WebSocket from 'ws';
import type { MethodInput, MethodName, MethodOutput, WsMessage } from '../../shared/api';

/** A running `npm run serve` equivalent on a free loopback port, with its own data folder. */
export interface HeadlessApp {
  url: string;
  /** The server process, where this harness started it. */
  pid?: number | undefined;
  stop(): Promise<void>;
}

const ENTRY = path.resolve('dist/electron/headless.mjs');

/** `env` adds to this process's environment (e.g. RACKBOOT_BENCH=1 for the benchmark hooks). */
export function startHeadlessApp(dataDir: string, env: Record<string, string> = {}): Promise<HeadlessApp> {
  return watchHeadlessApp(
    spawn(process.execPath, [ENTRY, '--port', '0', '--data-dir', dataDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    }),
  );
}

/** Argument list of the headless server on a free port, for shells that start it their own way (a namespace). */
export function headlessAppArgs(dataDir: string): string[] {
  return [ENTRY, '--port', '0', '--data-dir', dataDir];
}

/** Waits for a started headless server to print its URL (`npm run serve` builds first: give it longer); stop() ends it. */
export async function watchHeadlessApp(child: ChildProcess, startupLimitMs = 20_000): Promise<HeadlessApp> {
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`headless server did not start:\n${output}`)), startupLimitMs);
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
    pid: child.pid,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** One call to the app's API over its WebSocket, as a non-browser client: the page URL's token, no Origin. */
export async function callApi<M extends MethodName>(pageUrl: string, method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
  const url = new URL(pageUrl);
  const socket = new WebSocket(`ws://${url.host}/api?token=${encodeURIComponent(url.searchParams.get('token') ?? '')}`);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return await new Promise<MethodOutput<M>>((resolve, reject) => {
      socket.on('message', (data) => {
        const message = JSON.parse(data.toString()) as WsMessage;
        if (message.kind !== 'result') return;
        if (message.ok) resolve(message.output as MethodOutput<M>);
        else reject(new Error(`${method}: ${message.error.message}`));
      });
      socket.once('close', () => reject(new Error(`${method}: the connection closed before the answer`)));
      socket.send(JSON.stringify({ id: 1, method, input }));
    });
  } finally {
    socket.close();
  }
}

/** A client on one WebSocket, as a page keeps it: calls answered by id, events ignored. */
export async function connectApi(pageUrl: string): Promise<{ call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>>; close(): void }> {
  const url = new URL(pageUrl);
  const socket = new WebSocket(`ws://${url.host}/api?token=${encodeURIComponent(url.searchParams.get('token') ?? '')}`);
  await new Promise<void>((resolve, reject) => socket.once('open', () => resolve()).once('error', reject));
  const waiting = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let nextId = 1;
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString()) as WsMessage;
    if (message.kind !== 'result') return;
    const waiter = waiting.get(message.id);
    waiting.delete(message.id);
    if (message.ok) waiter?.resolve(message.output);
    else waiter?.reject(new Error(message.error.message));
  });
  return {
    call: (method, input) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
        socket.send(JSON.stringify({ id, method, input }));
      }),
    close: () => socket.close(),
  };
}
