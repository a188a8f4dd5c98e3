import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LogEvent } from '../../shared/api';
import { DEFAULT_DEPLOY_SETTINGS, type DeployRecord, type DeploySettings, type ServicesConfig } from '../../shared/deploy';
import type { NodeView } from '../../shared/nodes';
import { BmcService } from './bmc-service';
import { EventBus } from './event-bus';
import { InventoryStore } from '../inventory/inventory-store';
import { NodeStore } from '../inventory/node-store';
import { KeyFileSecretBox } from '../inventory/secret-box';
import { DeployService } from './deploy-service';
import { DeployStore } from '../deploy/deploy-store';
import { ImageLibrary } from '../deploy/image-library';
import type { BmcFacts, DeployTarget, PowerControl } from '../deploy/ports';

const MAC = '52:54:00:12:34:56';

/** The BMC of a server that does what it is told and reports each power-on, so the test can play its firmware. */
class ObedientBmc implements PowerControl {
  private readonly waiting: ((target: DeployTarget) => void)[] = [];

  async verify(): Promise<BmcFacts> {
    return { systemGuid: null, powerOn: false };
  }
  async setBootDevice(): Promise<void> {}
  async restart(target: DeployTarget): Promise<void> {
    for (const wake of this.waiting.splice(0)) wake(target);
  }
  async powerOff(): Promise<void> {}
  isTransient(): boolean {
    return false;
  }
  onRetransmit(): () => void {
    return () => undefined;
  }

  nextPowerOn(): Promise<DeployTarget> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}

/** A loopback port nothing listens on right now, for the boot HTTP server (its URL goes into the agent's job). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, () => resolve()));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

let dir: string;
let bmc: ObedientBmc;
let bus: EventBus;
let store: DeployStore;
let service: DeployService;
let node: NodeView;
let imageId: string;
let ramdiskSettings: DeploySettings;
let config: ServicesConfig;
let logs: LogEvent[];
let inventories: InventoryStore;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-deploy-service-'));
  const nodes = await NodeStore.open(dir, await KeyFileSecretBox.load(path.join(dir, 'secret.key')));
  const images = await ImageLibrary.open(dir);
  store = await DeployStore.open(dir);
  bus = new EventBus();
  bmc = new ObedientBmc();
  logs = [];
  service = new DeployService({
    dataDir: dir,
    nodes,
    inventories: (inventories = await InventoryStore.open(dir, nodes)),
    images,
    store,
    bmc: new BmcService(nodes, bus),
    bus,
    log: (level, source, message, nodeId) => logs.push({ time: '', level, source, message, ...(nodeId ? { nodeId } : {}) }),
    ports: { dhcp: { server: 0, bootServer: 0, client: 0 }, tftp: 0 },
    power: bmc,
  });
  node = await nodes.add({ name: 'rack-u1', bmcAddress: '192.0.2.10', bmcUser: 'root', bmcPassword: 'pw', mac: MAC });
  await writeFile(path.join(dir, 'disk.img'), Buffer.alloc(4096, 7));
  imageId = (await images.add({ path: path.join(dir, 'disk.img'), bootMode: 'bios' })).id;
  await writeFile(path.join(dir, 'vmlinuz'), 'kernel');
  await writeFile(path.join(dir, 'initrd.img'), 'initrd');
  ramdiskSettings = { ...DEFAULT_DEPLOY_SETTINGS, ramdisk: { kind: 'append', kernel: path.join(dir, 'vmlinuz'), initrd: path.join(dir, 'initrd.img') } };
  config = {
    interfaceName: 'lo',
    address: '127.0.0.1',
    prefixLength: 8,
    mode: 'proxy',
    answer: 'enrolled',
    httpPort: await freePort(),
    routerAdvertisements: false,
  };
});

afterEach(async () => {
  await service.close();
  // A cancelled deploy records its end on its own time; the folder goes once it has.
  if (store.get(node.id)) await expect.poll(async () => (await store.readLog(node.id)).map((line) => line.message)).toContain('Deploy cancelled.');
  await rm(dir, { recursive: true, force: true });
});

/** What the server's iPXE is told to boot: the agent's URL, token and MAC are on the kernel command line. */
async function bootedAgent(): Promise<{ url: string; token: string; mac: string }> {
  await bmc.nextPowerOn();
  const script = await (await fetch(`http://127.0.0.1:${config.httpPort}/ipxe/${MAC}.ipxe`)).text();
  const arg = (name: string): string => new RegExp(`${name}=(\\S+)`).exec(script)?.[1] ?? '';
  return { url: arg('rackboot.url'), token: arg('rackboot.token'), mac: arg('rackboot.mac') };
}

function askForJob(agent: { url: string; mac: string }, token: string): Promise<Response> {
  return fetch(`${agent.url}/agent/v1/job?mac=${agent.mac}&token=${token}`);
}

/** What the agent sends before it asks for its job: its inventory (one blank 8 GiB virtio disk), the disk chosen from it. */
async function postInventory(agent: { url: string; mac: string; token: string }): Promise<void> {
  const report = ['arch=x86_64', 'disk.vda.path=/devices/pci0000:00/0000:00:05.0/virtio1/block/vda', `disk.vda.sectors=${(8 * 1024 ** 3) / 512}`, `nic.eth0.mac=${MAC}`, 'nic.eth0.carrier=1'].join('\n');
  expect((await fetch(`${agent.url}/agent/v1/inventory?mac=${agent.mac}&token=${agent.token}`, { method: 'POST', body: report })).status).toBe(200);
}

function reached(phase: DeployRecord['phase']): Promise<DeployRecord> {
  return new Promise((resolve) => {
    const stop = bus.on('deploy.changed', (record) => {
      if (record.phase === phase) {
        stop();
        resolve(record);
      }
    });
  });
}

describe('deploy service', () => {
  it('gives the agent its job when the deploy settings were saved after the services started (the wizard’s order)', async () => {
    await service.startServices(config);
    await service.setSettings(ramdiskSettings);
    await service.start([node.id], imageId);
    const agent = await bootedAgent();
    expect(agent.mac).toBe(MAC);

    const connected = reached('agent-connected');
    await postInventory(agent);
    const answer = await askForJob(agent, agent.token);
    expect(answer.status).toBe(200);
    const job = await answer.text();
    expect(job).toContain(`image_url=${agent.url}/images/${imageId}`);
    expect(job).toContain('disk=/dev/vda');
    expect((await connected).nodeId).toBe(node.id);
    // Stored with the node once the agent's LLDP listening ends (no switch spoke here).
    expect((await fetch(`${agent.url}/agent/v1/lldp?mac=${agent.mac}&token=${agent.token}`, { method: 'POST', body: '' })).status).toBe(200);
    await vi.waitFor(async () => expect((await inventories.get(node.id))?.inventory.disks.map((disk) => disk.name)).toEqual(['vda']));
  });

  it('still serves the agent after the settings were saved several times and the services restarted', async () => {
    await service.startServices(config);
    await service.setSettings(ramdiskSettings);
    await service.setSettings({ ...ramdiskSettings, concurrency: 2 });
    await service.stopServices();
    await service.startServices(config);
    await service.setSettings(ramdiskSettings);
    await service.start([node.id], imageId);
    const agent = await bootedAgent();
    await postInventory(agent);
    expect((await askForJob(agent, agent.token)).status).toBe(200);
  });

  it('writes each refused agent request to the deploy log of the node whose MAC it named, with why', async () => {
    await service.startServices(config);
    await service.setSettings(ramdiskSettings);
    await service.start([node.id], imageId);
    const agent = await bootedAgent();

    expect((await askForJob(agent, 'a-token-from-an-earlier-deploy')).status).toBe(403);
    expect((await askForJob({ ...agent, mac: '52:54:00:00:00:99' }, agent.token)).status).toBe(404);
    expect((await askForJob({ ...agent, mac: '../../etc' }, agent.token)).status).toBe(404);

    const refusals = logs.filter((line) => line.source === 'agent');
    expect(refusals).toEqual([
      expect.objectContaining({ level: 'warn', nodeId: node.id, message: `Refused the deploy agent of ${MAC} (job, HTTP 403): wrong job token.` }),
      expect.objectContaining({ level: 'warn', message: 'Refused the deploy agent of 52:54:00:00:00:99 (job, HTTP 404): no deploy job for this MAC.' }),
      expect.objectContaining({ level: 'warn', message: 'Refused a deploy agent request naming no MAC (job, HTTP 404): no deploy job for this MAC.' }),
    ]);
    expect(refusals[1]).not.toHaveProperty('nodeId');
    await expect.poll(async () => (await store.readLog(node.id)).map((line) => line.message)).toContain(
      `Refused the deploy agent of ${MAC} (job, HTTP 403): wrong job token.`,
    );
  });

  it('refuses to deploy an id no server has before writing anything under its name', async () => {
    await service.startServices(config);
    await service.setSettings(ramdiskSettings);
    for (const nodeId of ['../../outside', 'no-such-node']) {
      await expect(service.start([node.id, nodeId], imageId)).rejects.toMatchObject({ code: 'node-not-found' });
    }
    expect(store.list()).toEqual([]);
    expect(await readdir(dir)).not.toContain('deploy-logs');
  });
});
