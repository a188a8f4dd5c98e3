import os from 'node:os';
import { laptopSshKeys } from '../inventory/laptop-ssh-keys';
import type { SecretBox } from '../inventory/secret-box';
import { NodeStore } from '../inventory/node-store';
import { InventoryStore } from '../inventory/inventory-store';
import { exportHardwareInfo, exportNodeLines, type ExportDestination } from '../inventory/hardware-info-export';
import { importNodeLines } from '../inventory/node-import';
import { ImageLibrary } from '../deploy/image-library';
import { BmcService } from './bmc-service';
import { IronicService, type IronicServiceDeps } from './ironic-service';
import { DeployService, type DeployServiceDeps } from './deploy-service';
import { DeployStore } from '../deploy/deploy-store';
import { callThrough, type CallCore, type Handlers } from './dispatch';
import { UserFacingError } from '../lib/user-facing-error';
import { EventBus } from './event-bus';
import { floodLog } from './log-flood';
import type { LogEvent } from '../../shared/api';
import type { Image } from '../../shared/deploy';
import { NetworkService } from '../network/service';
import { probeDhcpServers } from '../pxe/dhcp/probe';
import { isRootProcess, openExecutor } from '../network/open-executor';
import { findBuiltinRamdisk } from '../deploy/builtin-ramdisk';
import { UploadStore } from '../lib/upload-store';
import type { FilePicker } from './file-picker';
import { assessSetup } from './setup-check';
import path from 'node:path';

/** The largest file the browser may upload (images are big; the free space is checked too). */
const DEFAULT_UPLOAD_MAX_BYTES = 1024 ** 4;
/** How long the setup check waits for a BMC to answer. */
const SETUP_BMC_WAIT_MS = 8000;

export interface CoreOptions {
  dataDir: string;
  secrets: SecretBox;
  shell: 'electron' | 'headless';
  version: string;
  /** Tests only: shorter deploy phase limits and unprivileged PXE ports. */
  deployTuning?: Pick<DeployServiceDeps, 'timeoutScale' | 'ports'>;
  /** Enables `diagnostics.floodLog`; only the headless server sets it, and only when RACKBOOT_BENCH=1. */
  benchHooks?: boolean;
  /** Where `nodes.exportHardwareInfo` and `ironic.export` put their file: the shell's save dialog or browser download. */
  exportDestination?: ExportDestination;
  /** The desktop shell's open dialog; headless mode has none (the browser uploads). */
  filePicker?: FilePicker;
  /** Tests only: a smaller upload limit. */
  uploadMaxBytes?: number;
  /** Tests and the benchmark: how many nodes go to Ironic at once and how often their state is read. */
  ironicTuning?: IronicServiceDeps['tuning'];
}

/** The plain-Node heart of Rackboot that every shell (Electron, headless, CLI, tests) drives the same way. */
export interface Core {
  readonly bus: EventBus;
  readonly call: CallCore;
  /** Files the browser uploads (headless mode's upload endpoint writes here). */
  readonly uploads: UploadStore;
  log(level: LogEvent['level'], source: string, message: string, nodeId?: string): void;
  close(): Promise<void>;
}

export async function createCore(options: CoreOptions): Promise<Core> {
  const bus = new EventBus();
  const nodes = await NodeStore.open(options.dataDir, options.secrets);
  nodes.onChange((delta) => bus.emit('nodes.changed', delta));
  const inventories = await InventoryStore.open(options.dataDir, nodes);
  const images = await ImageLibrary.open(options.dataDir);
  const bmc = new BmcService(nodes, bus);
  const deployStore = await DeployStore.open(options.dataDir);

  const log: Core['log'] = (level, source, message, nodeId) => {
    bus.emit('log', { time: new Date().toISOString(), level, source, message, ...(nodeId ? { nodeId } : {}) });
  };
  const network = new NetworkService({
    dataDir: options.dataDir,
    openExecutor: (scope) => openExecutor(scope, probeDhcpServers),
    dhcpProbe: probeDhcpServers,
    privileged: isRootProcess(),
    onProgress: (progress) => bus.emit('network.progress', progress),
    log: (level, message) => log(level, 'network', message),
  });
  const deploy = new DeployService({
    dataDir: options.dataDir,
    nodes,
    inventories,
    images,
    store: deployStore,
    bmc,
    bus,
    log,
    privilegedUdp: () => network.privilegedUdpSource(),
    ...options.deployTuning,
  });
  await deploy.load();
  const ironic = new IronicService({
    nodes,
    // Ironic's cpus, memory_mb, local_gb, cpu_arch and boot_mode come from the last inspection; unset before one.
    inventoryOf: async (nodeId) => (await inventories.get(nodeId))?.inventory ?? null,
    onProgress: (progress) => bus.emit('ironic.progress', progress),
    log: (level, message, nodeId) => log(level, 'ironic', message, nodeId),
    ...(options.ironicTuning ? { tuning: options.ironicTuning } : {}),
  });
  await network.reportLeftover().catch((error: unknown) => log('error', 'network', String(error)));
  const uploads = await UploadStore.open(path.join(options.dataDir, 'uploads'), {
    maxBytes: options.uploadMaxBytes ?? DEFAULT_UPLOAD_MAX_BYTES,
    log: (level, message) => log(level, 'uploads', message),
  });

  const addImage = async (input: Parameters<ImageLibrary['add']>[0]): Promise<Image> => {
    const image = await images.add(input, (read, total) => bus.emit('images.progress', { path: input.path, read, total }));
    log('info', 'images', `Added image ${image.name} (${image.format}, ${image.virtualSize} bytes of disk, ${image.dataSize} of data in ${image.extentCount} extents, sha256 ${image.sha256}${image.checksumMatched ? ', matches the checksum given' : ''}).`);
    bus.emit('images.changed', images.list());
    return image;
  };

  /** The servers whose BMC answers now: a few tried at once, each given a few seconds. */
  const answeringBmcs = async (): Promise<{ name: string }[]> => {
    const candidates = [...nodes.list()].sort((a, b) => Number(b.systemGuid !== null) - Number(a.systemGuid !== null)).slice(0, 4);
    const answers = await Promise.all(
      candidates.map(async (node) => {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), SETUP_BMC_WAIT_MS)));
        const test = bmc.test(bmc.credentials(node.id), node.id).then(() => true, () => false);
        const answered = await Promise.race([test, late]);
        clearTimeout(timer);
        return answered ? [{ name: node.name }] : [];
      }),
    );
    return answers.flat();
  };

  const handlers: Handlers = {
    'app.info': async () => ({ version: options.version, shell: options.shell, dataDir: options.dataDir }),
    'nodes.list': async () => nodes.list(),
    'nodes.add': async (input) => {
      const node = await nodes.add(input);
      log('info', 'inventory', `Enrolled ${node.name} (BMC ${node.bmcAddress}:${node.bmcPort}).`, node.id);
      return node;
    },
    'nodes.update': async (input) => nodes.update(input),
    'nodes.remove': async ({ id }) => ({ removed: await nodes.remove(id) }),
    'nodes.inventory': async ({ id }) => inventories.get(id),
    // The engine side of Inspect (boot the agent, collect, power off) comes with the agent's inventory collection.
    'nodes.inspect': async ({ id }) => {
      await deploy.inspect(id);
      return { started: true as const };
    },
    'nodes.importHardwareInfo': async ({ text }) => {
      const result = await nodes.importHardwareInfo(text);
      log(
        result.problems.length ? 'warn' : 'info',
        'inventory',
        `hardware_info import: ${result.added} added, ${result.problems.length} line(s) with problems.`,
      );
      return result;
    },
    'nodes.importNodeLines': async ({ text, firstLine }) => {
      const result = await importNodeLines(nodes, inventories, text, firstLine);
      log(
        result.problems.length ? 'warn' : 'info',
        'inventory',
        `Rackboot export import (from line ${firstLine}): ${result.added} added, ${result.problems.length} line(s) with problems.`,
      );
      return result;
    },
    'nodes.exportHardwareInfo': async ({ includePasswords, format }) => {
      if (!options.exportDestination) {
        throw new UserFacingError('export-unavailable', 'This Rackboot has nowhere to save an export: use the desktop app or the browser wizard.');
      }
      const result =
        format === 'hardware_info'
          ? await exportHardwareInfo(nodes, options.exportDestination, includePasswords)
          : await exportNodeLines(nodes, inventories, options.exportDestination, includePasswords);
      if (result.delivery.kind !== 'cancelled') {
        const where = result.delivery.kind === 'saved' ? `to ${result.delivery.path}` : 'as a browser download';
        log('info', 'inventory', `${format} export ${where}: ${result.exported} server(s), ${includePasswords ? 'with' : 'without'} passwords.`);
      }
      return result;
    },
    'instance.sshKeys': async () => laptopSshKeys(path.join(os.homedir(), '.ssh')),
    'ironic.export': async ({ nodeIds, includePasswords }) => {
      if (!options.exportDestination) {
        throw new UserFacingError('export-unavailable', 'This Rackboot has nowhere to save an export: use the desktop app or the browser wizard.');
      }
      const result = await ironic.export(nodeIds, includePasswords, options.exportDestination);
      if (result.delivery.kind !== 'cancelled') {
        const where = result.delivery.kind === 'saved' ? `to ${result.delivery.path}` : 'as a browser download';
        log('info', 'ironic', `Ironic export ${where}: ${result.exported} server(s), ${includePasswords ? 'with' : 'without'} passwords.`);
      }
      return result;
    },
    'ironic.enroll': async (request) => ironic.enroll(request),
    'ironic.import': async (request) => ironic.import(request),
    'images.list': async () => images.list(),
    'images.add': async (input) => addImage(input),
    'images.addUpload': async ({ uploadId, name, bootMode }) => {
      const upload = await uploads.completedFile(uploadId);
      return addImage({ path: upload.path, name: name ?? upload.name, bootMode });
    },
    'files.pick': async ({ purpose }) => {
      if (!options.filePicker) {
        throw new UserFacingError('pick-unavailable', 'This Rackboot runs in a browser, which cannot open files on this machine by path: upload the file instead.');
      }
      return { path: await options.filePicker.choose(purpose) };
    },
    'setup.check': async () =>
      assessSetup({
        interfaces: await network.interfaces().catch((error: unknown) => ({ error: error instanceof Error ? error.message : String(error) })),
        services: deploy.status(),
        images: images.list(),
        servers: nodes.list(),
        answeringBmcs: await answeringBmcs(),
      }),
    'images.remove': async ({ id }) => {
      const removed = await images.remove(id);
      if (removed) bus.emit('images.changed', images.list());
      return { removed };
    },
    'services.status': async () => deploy.status(),
    'services.start': async (config) => deploy.startServices(config),
    'services.stop': async () => deploy.stopServices(),
    'deploy.getSettings': async () => deploy.getSettings(),
    'deploy.setSettings': async (settings) => deploy.setSettings(settings),
    'deploy.builtinRamdisk': async () => {
      const found = await findBuiltinRamdisk();
      return 'dir' in found ? found.status : found;
    },
    'deploy.start': async ({ nodeIds, imageId }) => deploy.start(nodeIds, imageId),
    'deploy.cancel': async ({ nodeId }) => {
      await deploy.cancel(nodeId);
      return {};
    },
    'deploy.list': async () => deployStore.list(),
    'deploy.log': async ({ nodeId }) => {
      // Only the logs of servers Rackboot knows (or deployed before they were removed), whatever the caller sends.
      if (!deployStore.get(nodeId)) nodes.get(nodeId);
      return deployStore.readLog(nodeId);
    },
    'capture.start': async ({ nodeId, bootMode }) => deploy.captureMac(nodeId, bootMode),
    'bmc.test': async ({ nodeId }) => bmc.test(bmc.credentials(nodeId), nodeId),
    'bmc.testCredentials': async (credentials) => bmc.test(credentials),
    'bmc.power': async ({ nodeId, action }) => {
      log('info', 'ipmi', `Power ${action}.`, nodeId);
      return { powerOn: await bmc.power(nodeId, action) };
    },
    'bmc.powerState': async ({ nodeId }) => ({ powerOn: await bmc.powerState(nodeId) }),
    'bmc.setBootDevice': async ({ nodeId, device, persistent, efi }) => {
      await bmc.setBootDevice(nodeId, device, persistent, efi);
      log('info', 'ipmi', `Boot device ${device}${persistent ? ' (persistent)' : ' (next boot)'}${efi ? ', UEFI' : ''}.`, nodeId);
      return {};
    },
    'bmc.discover': async ({ cidr, port, redfishPort }) => bmc.discover(cidr, port, redfishPort),
    'console.open': async ({ nodeId }) => {
      await bmc.openConsole(nodeId);
      return {};
    },
    'console.input': async ({ nodeId, data }) => {
      bmc.writeConsole(nodeId, data);
      return {};
    },
    'console.close': async ({ nodeId }) => {
      await bmc.closeConsole(nodeId);
      return {};
    },
    'network.interfaces': async () => network.interfaces(),
    'network.plan': async (input) => network.plan(input),
    'network.apply': async ({ planId }) => network.apply(planId),
    'network.undo': async () => network.undo(),
    'network.pendingChange': async () => network.pendingChange(),
    'diagnostics.floodLog': async (request) => {
      if (!options.benchHooks) {
        throw new UserFacingError('disabled', 'Log flooding is a benchmark tool and is disabled: start the headless server with RACKBOOT_BENCH=1.');
      }
      return floodLog((message) => log('info', 'flood', message), request);
    },
  };

  return {
    bus,
    call: callThrough(handlers),
    uploads,
    log,
    close: async () => {
      await deploy.close();
      await bmc.close();
      await network.close();
    },
  };
}
