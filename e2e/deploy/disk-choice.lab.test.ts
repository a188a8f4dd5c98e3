// A lab server built like a real one — a virtio disk, an AHCI SATA disk holding someone's ext4 data, a tiny NVMe disk,
// a USB stick, DMI fields, a switch announcing itself over LLDP — inspected and deployed to through Rackboot's own API
// (the headless app in the lab's laptop namespace). One server boots the deploy ramdisk five times and its new OS once
// (TCG is slow): Inspect, then deploys that show the disk choice and its refusals, a write the boot services' stop cuts
// short, and the erase-and-write.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { MethodInput, MethodName, MethodOutput, WsMessage } from '../../shared/api';
import type { DeployRecord } from '../../shared/deploy';
import type { Inventory, InventoryDisk } from '../../shared/inventory';
import { ensureKernel, startLab, type Kernel, type Lab, type LabDisk, type LabServer, type ServerHardware } from '../lab';
import { isRoot, run } from '../support/netns';
import { startHeadlessAppInLab } from '../ui/lab-app';
import type { HeadlessApp } from '../ui/headless-app';
import { buildTestImage, sha256OfPrefix } from './test-image';

const skip = !isRoot() || !existsSync('/usr/sbin/lldpd') || !existsSync('/usr/sbin/debugfs') || !existsSync('/usr/sbin/sgdisk');
if (skip) console.log('disk choice lab test skipped: it needs root, lldpd, e2fsprogs and gdisk (scripts/install-debian-packages.sh).');

const MIB = 1024 * 1024;
const HARDWARE: ServerHardware = {
  system: { manufacturer: 'Rackboot-Labs', product: 'RB-2U-4D', serial: 'CHASSIS-0042' },
  disks: [
    { bus: 'virtio', sizeMiB: 6 * 1024, serial: 'RB-VIRTIO-6G' },
    // The smallest fixed disk of at least 4 GiB: what the default rule takes. Someone's data is on it.
    { bus: 'sata', sizeMiB: 5 * 1024, serial: 'RB-SATA-DATA', wwn: '5000c500a1b2c3d4', model: 'RB-LabSSD', boot: true },
    // Smaller than the test image.
    { bus: 'nvme', sizeMiB: 16, serial: 'RB-NVME-TINY' },
    // Smaller than the SATA disk and over 4 GiB: the default rule would take it, were it not a USB stick.
    { bus: 'usb', sizeMiB: 4 * 1024 + 128, serial: 'RB-USB-STICK' },
  ],
};
const DATA_PARTITION_START = 2048 * 512;
const DATA_PARTITION_BYTES = 64 * MIB;
const PRECIOUS = 'the only copy of last year\'s accounts\n';
const SWITCH_NAME = 'rack7-tor';
const SWITCH_PORT = 'Gi1-0-7';

const diskOf = (server: LabServer, bus: LabDisk['bus']): LabDisk => server.disks.find((disk) => disk.bus === bus)!;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** SHA-256 of `length` bytes of a file from `start`: a region that must not change. */
async function sha256Of(file: string, start: number, length: number): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { start, end: start + length - 1 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The file on the data disk's ext4 partition, read from the disk image (e2fsprogs with an offset, nothing mounted). */
const readPrecious = (disk: string): Promise<string> => run('debugfs', ['-R', 'cat /precious.txt', `${disk}?offset=${DATA_PARTITION_START}`]);

/**
 * Rackboot's API as the wizard uses it. The app listens on the laptop namespace's loopback, which this process cannot
 * reach; a relay in that namespace joins it to a Unix socket, which namespaces do not separate.
 */
class AppApi {
  private nextId = 1;
  private constructor(
    private readonly socket: WebSocket,
    private readonly pending: Map<number, { resolve(output: unknown): void; reject(error: Error): void }>,
  ) {}

  static async connect(lab: Lab, app: HeadlessApp, dir: string): Promise<AppApi> {
    const url = new URL(app.url);
    const socketPath = path.join(dir, 'api.sock');
    const relay = `require('net').createServer((c) => { const u = require('net').connect(${Number(url.port)}, '127.0.0.1'); c.pipe(u).pipe(c); c.on('error', () => u.destroy()); u.on('error', () => c.destroy()); }).listen(${JSON.stringify(socketPath)}, () => console.log('ready'))`;
    const child = lab.prov.spawn(process.execPath, ['-e', relay]);
    await new Promise<void>((resolve, reject) => {
      child.stdout!.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`the API relay exited (${code})`)));
    });
    child.unref();
    const socket = new WebSocket(`ws+unix://${socketPath}:/api?token=${encodeURIComponent(url.searchParams.get('token') ?? '')}`);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const pending = new Map<number, { resolve(output: unknown): void; reject(error: Error): void }>();
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as WsMessage;
      if (message.kind !== 'result') return;
      const waiting = pending.get(message.id);
      pending.delete(message.id);
      if (message.ok) waiting?.resolve(message.output);
      else waiting?.reject(new Error(message.error.message));
    });
    return new AppApi(socket, pending);
  }

  call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: (output) => resolve(output as MethodOutput<M>), reject: (error) => reject(new Error(`${method}: ${error.message}`)) });
      this.socket.send(JSON.stringify({ id, method, input }));
    });
  }

  close(): void {
    this.socket.close();
  }
}

describe.skipIf(skip)('disk choice, inventory and LLDP on a server with four kinds of disk', () => {
  let lab: Lab;
  let kernel: Kernel;
  let image: string;
  let dir: string;
  let app: HeadlessApp;
  let api: AppApi;
  let server: LabServer;
  let nodeId: string;
  let imageId: string;
  let imageSize: number;
  let servicesConfig: MethodInput<'services.start'>;
  let dataRegionSum: string;
  let dataTailSum: string;

  /** Runs one deploy (or inspection) to its end; `whileRunning` sees every record state on the way. */
  async function settle(start: () => Promise<unknown>, whileRunning: (record: DeployRecord) => Promise<void> = async () => undefined): Promise<{ record: DeployRecord; log: string[] }> {
    const before = (await api.call('deploy.list', {})).find((record) => record.nodeId === nodeId)?.deployId;
    await start();
    const deadline = Date.now() + 280_000;
    for (;;) {
      const record = (await api.call('deploy.list', {})).find((entry) => entry.nodeId === nodeId);
      if (record && record.deployId !== before) {
        if (record.status !== 'running') {
          const log = (await api.call('deploy.log', { nodeId })).filter((line) => line.time >= record.startedAt).map((line) => `${line.level} ${line.source}: ${line.message}`);
          return { record, log };
        }
        await whileRunning(record);
      }
      if (Date.now() > deadline) throw new Error(`the deploy of ${server.name} did not settle: ${JSON.stringify(record)}`);
      await sleep(400);
    }
  }

  beforeAll(async () => {
    kernel = await ensureKernel();
    image = await buildTestImage(kernel);
    imageSize = (await stat(image)).size;
    lab = await startLab({ servers: 1, hardware: () => HARDWARE });
    server = lab.servers[0]!;
    dir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-disk-choice-'));

    // Someone's data on the SATA disk: a GPT, one partition, ext4 labelled "data" with a file on it.
    const sata = diskOf(server, 'sata').path;
    const files = path.join(dir, 'data-files');
    await mkdir(files);
    await writeFile(path.join(files, 'precious.txt'), PRECIOUS);
    await run('sgdisk', ['-n', `1:2048:+${DATA_PARTITION_BYTES / MIB}M`, '-c', '1:data', sata]);
    await run('mke2fs', ['-q', '-t', 'ext4', '-L', 'data', '-d', files, '-E', `offset=${DATA_PARTITION_START}`, sata, String(DATA_PARTITION_BYTES / 1024)]);
    expect(await readPrecious(sata)).toBe(PRECIOUS);
    dataRegionSum = await sha256Of(sata, 0, DATA_PARTITION_START + DATA_PARTITION_BYTES);
    dataTailSum = await sha256Of(sata, (await stat(sata)).size - MIB, MIB);

    // The switch: lldpd on the rack's side of the server's cable (its tap on the bridge), announcing every second.
    const lldpDir = path.join(dir, 'lldpd');
    await mkdir(lldpDir);
    await chmod(dir, 0o755);
    await chmod(lldpDir, 0o755);
    await writeFile(
      path.join(lldpDir, 'lldpd.conf'),
      `configure system hostname ${SWITCH_NAME}\nconfigure lldp tx-interval 1\nconfigure ports ${server.tap} lldp portidsubtype local ${SWITCH_PORT} description server-port-7\n`,
    );
    lab.rack
      .spawn('/usr/sbin/lldpd', ['-d', '-I', server.tap, '-u', path.join(lldpDir, 'lldpd.socket'), '-O', path.join(lldpDir, 'lldpd.conf')], { stdio: 'ignore' })
      .unref();

    app = await startHeadlessAppInLab(lab, path.join(dir, 'app'));
    api = await AppApi.connect(lab, app, dir);
    const node = await api.call('nodes.add', {
      name: server.name,
      bmcAddress: server.bmc.address,
      bmcUser: server.bmc.user,
      bmcPassword: server.bmc.password,
      bmcProtocol: 'ipmi',
      mac: server.mac,
    });
    nodeId = node.id;
    imageId = (await api.call('images.add', { path: image, bootMode: 'bios' })).id;
    await api.call('deploy.setSettings', {
      ramdisk: { kind: 'build', kernel: kernel.vmlinuzPath, modules: path.resolve(kernel.modulesDir, '../../..'), busybox: '/bin/busybox' },
      disk: 'auto',
      upMarker: 'login:',
      concurrency: 1,
    });
    servicesConfig = {
      interfaceName: lab.provInterface,
      address: lab.provAddress,
      prefixLength: lab.prefixLength,
      mode: 'full',
      pool: lab.dhcpPool,
      httpPort: 8080,
      routerAdvertisements: true,
    };
    await api.call('services.start', servicesConfig);
  });

  afterAll(async () => {
    api?.close();
    await app?.stop();
    await lab?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const setDiskPolicy = (changes: MethodInput<'nodes.update'>['changes']): Promise<unknown> => api.call('nodes.update', { id: nodeId, changes });
  const byBus = (inventory: Inventory, bus: LabDisk['bus']): InventoryDisk => {
    const serial = diskOf(server, bus).serial;
    const found = inventory.disks.find((disk) => disk.serial === serial);
    if (!found) throw new Error(`no disk with serial ${serial} in the inventory: ${JSON.stringify(inventory.disks, null, 1)}`);
    return found;
  };

  it('Inspect: the inventory holds what QEMU was given (DMI, every disk with its size, serial and WWN, the NIC) and the switch port LLDP announced', async () => {
    const { record, log } = await settle(() => api.call('nodes.inspect', { id: nodeId }));
    // An inspection ends idle, its time on the node.
    expect(record.status, log.join('\n')).toBe('idle');
    expect((await api.call('nodes.list', {})).find((node) => node.id === nodeId)?.inspectedAt).toBeTruthy();
    const { inventory } = (await api.call('nodes.inventory', { id: nodeId }))!;
    expect(inventory.system).toEqual({ vendor: 'Rackboot-Labs', product: 'RB-2U-4D', serial: 'CHASSIS-0042', uuid: server.uuid.toLowerCase() });
    expect(inventory.bootMode).toBe('bios');
    expect(inventory.disks).toHaveLength(4);
    for (const disk of server.disks) {
      const seen = byBus(inventory, disk.bus);
      expect(seen.sizeBytes, disk.bus).toBe(disk.sizeMiB * MIB);
      expect(seen.transport, disk.bus).toBe(disk.bus);
    }
    expect(byBus(inventory, 'sata')).toMatchObject({ wwn: '0x5000c500a1b2c3d4', model: 'RB-LabSSD', partitionTable: 'gpt', partitions: [{ number: 1, startBytes: DATA_PARTITION_START, sizeBytes: DATA_PARTITION_BYTES, filesystem: { type: 'ext4', label: 'data' } }] });
    expect(byBus(inventory, 'usb')).toMatchObject({ removable: true, partitionTable: null });
    expect(byBus(inventory, 'nvme').name).toMatch(/^nvme\d+n1$/);
    expect(byBus(inventory, 'virtio').name).toBe('vda');
    expect(inventory.nics).toHaveLength(1);
    expect(inventory.nics[0]).toMatchObject({ mac: server.mac, driver: 'virtio_net', hasLink: true, lldp: { systemName: SWITCH_NAME, portId: SWITCH_PORT, portDescription: 'server-port-7' } });
    expect(log).toContainEqual(expect.stringMatching(/Inspection done: inventory stored, server powered off, nothing written\./));
    // The agent got its inspection job: no refused request in the log.
    expect(log.filter((line) => line.includes('Refused the deploy agent'))).toEqual([]);
  });

  it('default rule: takes the smallest fixed disk of at least 4 GiB (the SATA disk, never the smaller USB stick) and refuses it, since it holds data, writing nothing', async () => {
    await setDiskPolicy({ rootDeviceHints: null, eraseTargetDisk: false });
    const { record, log } = await settle(() => api.call('deploy.start', { nodeIds: [nodeId], imageId }));
    expect(record.status, log.join('\n')).toBe('failed');
    expect(record.failure?.phase).toBe('agent-connected');
    const target = log.find((line) => line.includes('Target disk:'));
    expect(target).toMatch(/Target disk: sd[a-z] \(sata, 5\.4 GB, RB-LabSSD, serial RB-SATA-DATA\) is the smallest fixed disk of at least 4 GiB \(no root device hints\); passed over .*sd[a-z]: it is a USB device/);
    expect(target).toMatch(/nvme\d+n1: it is smaller than 4 GiB/);
    expect(record.failure?.reason).toMatch(/^Refused to write the image: sd[a-z] holds data \(GPT partition table with 1 partition, ext4 ‘data’\); nothing was written\. If it may be erased, mark the node “erase this disk”/);
    const sata = diskOf(server, 'sata').path;
    expect(await readPrecious(sata)).toBe(PRECIOUS);
    expect(await sha256Of(sata, 0, DATA_PARTITION_START + DATA_PARTITION_BYTES)).toBe(dataRegionSum);
    expect(await sha256Of(sata, (await stat(sata)).size - MIB, MIB)).toBe(dataTailSum);
  });

  it('a hint by serial takes the NVMe disk, which is smaller than the image: refused before any byte is written', async () => {
    await setDiskPolicy({ rootDeviceHints: { serial: 'RB-NVME-TINY' } });
    const { record, log } = await settle(() => api.call('deploy.start', { nodeIds: [nodeId], imageId }));
    expect(record.status, log.join('\n')).toBe('failed');
    expect(log).toContainEqual(expect.stringMatching(/Target disk: nvme\d+n1 \(nvme, 17 MB, .*serial RB-NVME-TINY\) matches the root device hints \(serial=RB-NVME-TINY\)/));
    expect(record.failure?.reason).toMatch(/^Refused to write the image: the image needs .* but nvme\d+n1 .* holds only 16777216 bytes: choose a bigger disk or a smaller image/);
    expect(record.bytesWritten).toBe(0);
    expect((await readFile(diskOf(server, 'nvme').path)).every((byte) => byte === 0)).toBe(true);
  });

  it('a write cut short — the boot services stopped while the image streams — fails in writing-image at once, with how far it got', async () => {
    await setDiskPolicy({ rootDeviceHints: { serial: 'RB-VIRTIO-6G' } });
    let slowed = false;
    let stoppedAt = 0;
    try {
      const { record, log } = await settle(
        () => api.call('deploy.start', { nodeIds: [nodeId], imageId }),
        async (running) => {
          // Once the server boots the ramdisk, slow the cable, so the write is still going when the services stop: the
          // agent writes this image in well under a second, between two looks at the record.
          if (!slowed && (running.phase === 'ramdisk' || running.phase === 'agent-connected' || running.phase === 'writing-image')) {
            slowed = true;
            await lab.rack.exec('tc', ['qdisc', 'add', 'dev', server.tap, 'root', 'tbf', 'rate', '8mbit', 'burst', '32k', 'latency', '400ms']);
          }
          if (stoppedAt || running.phase !== 'writing-image' || running.bytesWritten === 0) return;
          stoppedAt = Date.now();
          await api.call('services.stop', {});
        },
      );
      expect(stoppedAt, log.join('\n')).toBeGreaterThan(0);
      expect(record.status).toBe('failed');
      expect(record.failure?.phase).toBe('writing-image');
      const match = /^The image server \(Rackboot's boot services\) was stopped while the image was being written: (\d+) of (\d+) bytes had been sent and the agent reported (\d+) written, so the disk holds a partial image\. To finish, start the boot services and deploy again\.$/.exec(record.failure?.reason ?? '');
      expect(match, record.failure?.reason).not.toBeNull();
      const [sent, total, written] = [Number(match![1]), Number(match![2]), Number(match![3])];
      expect(written).toBeGreaterThan(0);
      expect(sent).toBeGreaterThanOrEqual(written);
      expect(sent).toBeLessThan(total);
      // At once: not after the phase's limit or a stall warning.
      expect(Date.parse(record.updatedAt) - stoppedAt).toBeLessThan(5_000);
      expect(log.filter((line) => /No progress for \d+ s waiting for (writing-image|verifying)/.test(line))).toEqual([]);
    } finally {
      await lab.rack.exec('tc', ['qdisc', 'del', 'dev', server.tap, 'root']).catch(() => undefined);
      await api.call('services.start', servicesConfig);
    }
  });

  it('a hint by size range with "erase this disk": the SATA data disk is wiped, written, verified, and boots', async () => {
    await setDiskPolicy({ rootDeviceHints: { size: '>= 5' }, eraseTargetDisk: true });
    const { record, log } = await settle(() => api.call('deploy.start', { nodeIds: [nodeId], imageId }));
    expect(record.status, log.join('\n')).toBe('deployed');
    expect(log).toContainEqual(expect.stringMatching(/Target disk: sd[a-z] \(sata, .*serial RB-SATA-DATA\) matches the root device hints \(size=>= 5\)/));
    expect(log).toContainEqual(expect.stringMatching(/Erasing sd[a-z] as the operator confirmed: it holds GPT partition table with 1 partition, ext4 ‘data’\./));
    const sata = diskOf(server, 'sata').path;
    expect(await sha256OfPrefix(sata, imageSize)).toBe(await sha256OfPrefix(image, imageSize));
    await expect(readPrecious(sata)).rejects.toThrow();
    // The confirmation served this deploy only.
    expect((await api.call('nodes.list', {})).find((node) => node.id === nodeId)?.eraseTargetDisk).toBe(false);
  });
});
