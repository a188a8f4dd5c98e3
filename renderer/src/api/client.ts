import {
  callErrorSchema,
  type CallError,
  type EventName,
  type EventPayload,
  type MethodInput,
  type MethodName,
  type MethodOutput,
  type PreloadBridge,
  type RackbootClient,
  type WsMessage,
} from '../../../shared/api';

/** A failed call, carrying the core's message for the technician. */
export class CallFailed extends Error {
  constructor(readonly error: CallError) {
    super(error.message);
    this.name = 'CallFailed';
  }
}

/** What to show the technician for a failed call or any other error. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

type Listener = (payload: unknown) => void;

class Listeners {
  private readonly byEvent = new Map<string, Set<Listener>>();

  add(event: string, listener: Listener): () => void {
    const set = this.byEvent.get(event) ?? new Set<Listener>();
    set.add(listener);
    this.byEvent.set(event, set);
    return () => set.delete(listener);
  }

  deliver(event: string, payload: unknown): void {
    for (const listener of this.byEvent.get(event) ?? []) listener(payload);
  }
}

/** Inside Electron: the preload's bridge over IPC. */
function electronClient(bridge: PreloadBridge): RackbootClient {
  const listeners = new Listeners();
  bridge.subscribe((event, payload) => listeners.deliver(event, payload));
  return {
    async call<M extends MethodName>(method: M, input: MethodInput<M>) {
      const result = await bridge.call(method, input);
      if (!result.ok) throw new CallFailed(result.error);
      return result.output as MethodOutput<M>;
    },
    on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void) {
      return listeners.add(event, listener as Listener);
    },
  };
}

/** In a browser (headless mode): the same API over a WebSocket that reconnects when the server comes back. */
function webSocketClient(url: string): RackbootClient {
  const listeners = new Listeners();
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let socket: WebSocket;
  let opened: Promise<void>;

  const connect = (): void => {
    socket = new WebSocket(url);
    opened = new Promise((resolve, reject) => {
      socket.addEventListener('open', () => resolve(), { once: true });
      socket.addEventListener('error', () => reject(new Error('Cannot reach the Rackboot server.')), { once: true });
    });
    opened.catch(() => undefined);
    socket.addEventListener('message', (message: MessageEvent<string>) => {
      const data = JSON.parse(message.data) as WsMessage;
      if (data.kind === 'events') {
        for (const { event, payload } of data.events) listeners.deliver(event, payload);
        return;
      }
      if (data.kind === 'error') {
        // Only a bug in this client sends a message the server cannot read; say so where a developer looks.
        console.error(`The Rackboot server could not read a request: ${data.error.message}`);
        return;
      }
      const waiter = pending.get(data.id);
      if (!waiter) return;
      pending.delete(data.id);
      if (data.ok) waiter.resolve(data.output);
      else waiter.reject(new CallFailed(callErrorSchema.parse(data.error)));
    });
    socket.addEventListener('close', () => {
      for (const waiter of pending.values()) waiter.reject(new Error('The connection to the Rackboot server was lost.'));
      pending.clear();
      setTimeout(connect, 1000);
    });
  };
  connect();

  return {
    async call<M extends MethodName>(method: M, input: MethodInput<M>) {
      await opened;
      const id = nextId++;
      const result = new Promise<unknown>((resolve, reject) => pending.set(id, { resolve, reject }));
      socket.send(JSON.stringify({ id, method, input }));
      return (await result) as MethodOutput<M>;
    },
    on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void) {
      return listeners.add(event, listener as Listener);
    },
  };
}

declare global {
  interface Window {
    rackboot?: PreloadBridge;
  }
}

/** In headless mode, the token the server printed with the wizard's URL; the API and downloads need it. */
export function launchToken(): string {
  return new URLSearchParams(window.location.search).get('token') ?? '';
}

export function connectClient(): RackbootClient {
  if (window.rackboot) return electronClient(window.rackboot);
  const token = launchToken();
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  return webSocketClient(`${scheme}://${window.location.host}/api?token=${encodeURIComponent(token)}`);
}
