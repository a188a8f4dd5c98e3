import type { SecretBox } from '../inventory/secret-box';
import { NodeStore } from '../inventory/node-store';
import { dispatch, type DispatchResult, type Handlers } from './dispatch';
import { EventBus } from './event-bus';
import type { LogEvent } from '../../shared/api';
import { NetworkService } from '../network/service';
import { isRootProcess, openExecutor } from '../network/open-executor';

export interface CoreOptions {
  dataDir: string;
  secrets: SecretBox;
  shell: 'electron' | 'headless';
  version: string;
}

/** The plain-Node heart of Rackboot that every shell (Electron, headless, CLI, tests) drives the same way. */
export interface Core {
  readonly bus: EventBus;
  readonly handlers: Handlers;
  call(method: unknown, input: unknown): Promise<DispatchResult>;
  log(level: LogEvent['level'], source: string, message: string, nodeId?: string): void;
  close(): Promise<void>;
}

export async function createCore(options: CoreOptions): Promise<Core> {
  const bus = new EventBus();
  const nodes = await NodeStore.open(options.dataDir, options.secrets);

  const log: Core['log'] = (level, source, message, nodeId) => {
    bus.emit('log', { time: new Date().toISOString(), level, source, message, ...(nodeId ? { nodeId } : {}) });
  };
  const announceNodes = (): void => bus.emit('nodes.changed', nodes.list());
  const network = new NetworkService({
    dataDir: options.dataDir,
    openExecutor,
    privileged: isRootProcess(),
    onProgress: (progress) => bus.emit('network.progress', progress),
    log: (level, message) => log(level, 'network', message),
  });
  await network.reportLeftover().catch((error: unknown) => log('error', 'network', String(error)));

  const handlers: Handlers = {
    'app.info': async () => ({ version: options.version, shell: options.shell, dataDir: options.dataDir }),
    'nodes.list': async () => nodes.list(),
    'nodes.add': async (input) => {
      const node = await nodes.add(input);
      log('info', 'inventory', `Enrolled ${node.name} (BMC ${node.bmcAddress}:${node.bmcPort}).`, node.id);
      announceNodes();
      return node;
    },
    'nodes.update': async (input) => {
      const node = await nodes.update(input);
      announceNodes();
      return node;
    },
    'nodes.remove': async ({ id }) => {
      const removed = await nodes.remove(id);
      if (removed) announceNodes();
      return { removed };
    },
    'nodes.importHardwareInfo': async ({ text }) => {
      const result = await nodes.importHardwareInfo(text);
      log(
        result.problems.length ? 'warn' : 'info',
        'inventory',
        `hardware_info import: ${result.added.length} added, ${result.problems.length} line(s) with problems.`,
      );
      if (result.added.length) announceNodes();
      return result;
    },
    'nodes.exportHardwareInfo': async () => nodes.exportHardwareInfo(),
    'network.interfaces': async () => network.interfaces(),
    'network.plan': async (input) => network.plan(input),
    'network.apply': async ({ planId }) => network.apply(planId),
    'network.undo': async () => network.undo(),
    'network.pendingChange': async () => network.pendingChange(),
  };

  return {
    bus,
    handlers,
    call: (method, input) => dispatch(handlers, method, input),
    log,
    close: () => network.close(),
  };
}
