import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DeployRecord, Image } from '../../shared/deploy';
import { AgentApi, type AgentJob } from './agent-api';
import { DeployStore } from './deploy-store';
import { Orchestrator, type OrchestratorOptions } from './orchestrator';
import type { DeployLogLine } from './deploy-store';
import type { Inventory } from '../../shared/inventory';
import type { InstanceSettings } from '../../shared/instance';
import type { BootNetwork, BootPlan, BootSignal, DeployTarget, DiskPolicy, PowerControl } from './ports';

const GIB = 1024 ** 3;

/** An LLDP frame from switch rack3-tor, port Gi1/0/7, as lldp-listen prints it. */
const LLDP_FRAME = '0180c200000e001122334455' + '88cc' + '020704001b54aabbcc' + '0408054769312f302f37' + '06020078' + '0a097261636b332d746f72' + '0000';

/** An agent's inventory report of one virtio disk, blank or holding an ext4 filesystem labelled "data". */
function inventoryReport(disk: { sizeBytes: number; holdsData: boolean }): string {
  const head = Buffer.alloc(4096);
  if (disk.holdsData) {
    head.writeUInt16LE(0xef53, 1024 + 56);
    head.writeUInt32LE(0x40, 1024 + 96);
    head.write('data', 1024 + 120);
  }
  return [
    'arch=x86_64',
    'boot=bios',
    'cpu.threads=2',
    'memory.kib=1048576',
    'disk.vda.path=/devices/pci0000:00/0000:00:05.0/virtio1/block/vda',
    `disk.vda.sectors=${disk.sizeBytes / 512}`,
    'disk.vda.serial=VDA-1',
    `disk.vda.head=${head.toString('base64')}`,
    'nic.eth0.mac=52:54:00:00:00:01',
    'nic.eth0.carrier=1',
  ].join('\n');
}

/** What a BMC that does not answer makes the IPMI layer throw. */
class SilentBmc extends Error {}

const IMAGE: Image = {
  id: 'img1', name: 'cirros.raw', path: '/images/cirros.raw', format: 'raw', size: 4096, sha256: 'b'.repeat(64),
  virtualSize: 8192, dataSize: 4096, extentCount: 1, dataSha256: 'a'.repeat(64), checksumMatched: null, mtimeMs: 0,
  bootMode: 'bios', addedAt: '2026-01-01T00:00:00.000Z',
};

/**
 * A pretend rack: restarting a server makes its "firmware" send DHCP, fetch the loader and ramdisk, and its "agent"
 * take the job and write the image, through the same AgentApi the HTTP server uses.
 */
class FakeRack implements PowerControl, BootNetwork {
  readonly agentBaseUrl = 'http://10.77.0.1:8080';
  readonly log: string[] = [];
  /** How many power and boot-device actions had happened when each deploy asked for its ramdisk. */
  readonly ramdiskRequests: number[] = [];
  readonly powerOnTimes: number[] = [];
  agent!: AgentApi;
  prepared = new Map<string, BootPlan>();
  watchers = new Map<string, (signal: BootSignal) => void>();
  captureWaiters: ((mac: string) => void)[] = [];
  wrongPassword = new Set<string>();
  silentNic = new Set<string>();
  corruptDisk = new Set<string>();
  /** Nodes whose ramdisk asks with the token of an earlier deploy. */
  staleToken = new Set<string>();
  macs = new Map<string, string>();
  bootDevice = new Map<string, string>();

  active = new Set<string>();
  maxActive = 0;
  /** The BMC does not answer boot-from-disk orders until this time (epoch ms). */
  bmcSilentUntil = 0;
  retransmitListeners = new Set<(what: string, attempt: number) => void>();
  /** The agent's write stops after the first progress report for this long (ms). */
  writeStallMs = 0;
  /** Console bytes the installed OS prints at once after the reboot, then silence for silentBootMs before "login:". */
  consoleBytes: number[] = [];
  silentBootMs = 0;
  /** The HTTP server's progress step has not come yet when the agent reports its first bytes written. */
  httpStepLags = false;
  /** The stalled first connection ends on the server only after the resumed one has sent everything (a dead link). */
  stalledConnectionEndsLate = false;
  /** The agent keeps reporting the same byte count and never finishes. */
  writeStuck = false;
  /** The LLDP report each node's agent sends after its job (none for nodes whose deploy ends first); empty by default. */
  lldpReports = new Map<string, string | null>();
  /** What each node's one disk is; by default a blank 8 GiB virtio disk. */
  disks = new Map<string, { sizeBytes: number; holdsData: boolean }>();
  /** The job each node's agent was given. */
  jobs = new Map<string, string>();
  /** Nodes whose agent reads back a config drive region other than the one it was given (a failing disk). */
  configDriveCorrupt = new Set<string>();
  powerOffs: string[] = [];

  async verify(target: DeployTarget) {
    this.active.add(target.nodeId);
    this.maxActive = Math.max(this.maxActive, this.active.size);
    if (this.wrongPassword.has(target.nodeId)) {
      throw new Error(`BMC ${target.bmc.address} rejected user ${target.bmc.user}: wrong password — check BMC LAN Configuration in BIOS`);
    }
    return { systemGuid: `guid-${target.nodeId}`, powerOn: false };
  }
  async setBootDevice(target: DeployTarget, device: 'pxe' | 'disk', options: { persistent: boolean }) {
    if (device === 'disk' && Date.now() < this.bmcSilentUntil) {
      for (const listener of this.retransmitListeners) listener('Set System Boot Options (boot flags)', 1);
      await new Promise((resolve) => setTimeout(resolve, 20));
      throw new SilentBmc(`BMC ${target.bmc.address} did not answer on UDP port 623 after 4 tries`);
    }
    this.bootDevice.set(target.nodeId, device);
    this.log.push(`${target.nodeId} bootdev ${device}${options.persistent ? ' persistent' : ''}`);
  }
  async restart(target: DeployTarget) {
    this.powerOnTimes.push(Date.now());
    this.log.push(`${target.nodeId} restart`);
    const mac = this.macs.get(target.nodeId)!;
    if (this.silentNic.has(target.nodeId) || this.bootDevice.get(target.nodeId) !== 'pxe') return;
    setTimeout(() => this.firmware(target.nodeId, mac), 5);
  }
  async powerOff(target: DeployTarget) {
    this.powerOffs.push(target.nodeId);
  }
  isTransient(error: unknown) {
    return error instanceof SilentBmc;
  }
  onRetransmit(_target: DeployTarget, listener: (what: string, attempt: number) => void) {
    this.retransmitListeners.add(listener);
    return () => this.retransmitListeners.delete(listener);
  }
  captureMac(_target: DeployTarget, _guid: string | null, signal: AbortSignal) {
    return new Promise<{ mac: string; matchedBy: 'system-guid' }>((resolve, reject) => {
      this.captureWaiters.push((mac) => resolve({ mac, matchedBy: 'system-guid' }));
      signal.addEventListener('abort', () => reject(new Error('aborted')));
    });
  }
  prepare(plan: BootPlan) {
    this.prepared.set(plan.mac, plan);
  }
  release(mac: string) {
    this.prepared.delete(mac);
  }
  watch(mac: string, listener: (signal: BootSignal) => void) {
    this.watchers.set(mac, listener);
    return () => this.watchers.delete(mac);
  }

  /** What config-drive.sh does: asks for the plan for its disk, fetches the regions, reports their read-back sums. */
  private configDrive(nodeId: string, auth: URLSearchParams): void {
    const ask = (method: string, endpoint: string, extra: Record<string, string> = {}, body = '') =>
      this.agent.handle({ method, path: `/agent/v1/${endpoint}`, query: new URLSearchParams({ ...Object.fromEntries(auth), ...extra }), body })!;
    const sectors = (this.disks.get(nodeId)?.sizeBytes ?? 8 * GIB) / 512;
    const plan = ask('GET', 'config-drive', { disk_sectors: String(sectors), sector_size: '512' }).body;
    if (!plan.includes('config_drive=yes')) return;
    const lbas = [...plan.matchAll(/^region=(\d+):/gm)].map((match) => match[1]!);
    const sums = lbas.map((lba, index) => {
      const data = Buffer.from(ask('GET', 'config-drive-region', { index: String(index) }).body.replace(/\n/g, ''), 'base64');
      if (this.configDriveCorrupt.has(nodeId) && index === 0) data[0] = data[0]! ^ 0xff;
      return `region=${lba}:${createHash('sha256').update(data).digest('hex')}`;
    });
    ask('POST', 'config-drive-written', {}, `${sums.join('\n')}\n`);
  }

  private firmware(nodeId: string, mac: string): void {
    for (const waiter of this.captureWaiters.splice(0)) waiter(mac);
    const plan = this.prepared.get(mac);
    if (!plan) return;
    const emit = (signal: BootSignal): void => this.watchers.get(mac)?.(signal);
    emit({ kind: 'dhcp' });
    emit({ kind: 'bootloader', file: 'undionly.kpxe' });
    emit({ kind: 'ramdisk', file: plan.kernelUrlPath });
    const planned = plan.kernelArgs.find((arg) => arg.startsWith('rackboot.token='))!.split('=')[1]!;
    const token = this.staleToken.has(nodeId) ? 'token-of-an-earlier-deploy' : planned;
    const q = new URLSearchParams({ mac, token });
    const call = (method: string, endpoint: string, body = '') => this.agent.handle({ method, path: `/agent/v1/${endpoint}`, query: q, body });
    const served = (signal: Omit<Extract<BootSignal, { kind: 'http' }>, 'kind' | 'path'>): void => emit({ kind: 'http', path: '/images/img1/data', ...signal });
    setTimeout(() => {
      if (this.staleToken.has(nodeId)) return void call('GET', 'job');
      call('POST', 'inventory', inventoryReport(this.disks.get(nodeId) ?? { sizeBytes: 8 * GIB, holdsData: false }));
      const job = call('GET', 'job');
      this.jobs.set(nodeId, job?.body ?? '');
      const lldp = this.lldpReports.has(nodeId) ? this.lldpReports.get(nodeId)! : '';
      if (job?.status === 200 && lldp !== null) setTimeout(() => call('POST', 'lldp', lldp), 1);
      // A refused deploy has no job any more: the agent writes nothing.
      if (job?.status !== 200 || job.body.startsWith('action=inspect')) return;
      served({ transfer: 'first', phase: 'started', status: 200, bytes: 0, total: 4096 });
      if (!this.httpStepLags) served({ transfer: 'first', phase: 'progress', status: 200, bytes: 2048, total: 4096 });
      call('POST', 'progress', 'written=2048');
      if (this.writeStuck) {
        const repeat = setInterval(() => call('POST', 'progress', 'written=2048'), 20);
        setTimeout(() => clearInterval(repeat), 5_000);
        return;
      }
      setTimeout(() => {
        if (this.writeStallMs > 0) {
          const stalledEnds = (): void => served({ transfer: 'first', phase: 'failed', status: 200, bytes: 2048, total: 4096, error: 'the client closed the connection after 2048 of 4096 bytes' });
          if (!this.stalledConnectionEndsLate) stalledEnds();
          served({ transfer: 'resumed', phase: 'started', status: 206, bytes: 0, total: 2048 });
          served({ transfer: 'resumed', phase: 'done', status: 206, bytes: 2048, total: 2048 });
          if (this.stalledConnectionEndsLate) stalledEnds();
        }
        call('POST', 'progress', 'written=4096');
        this.configDrive(nodeId, q);
        call('POST', 'result', `sha256=${this.corruptDisk.has(nodeId) ? 'b'.repeat(64) : 'a'.repeat(64)}`);
      }, this.writeStallMs);
    }, 5);
  }
}

let dir: string;
let rack: FakeRack;
let instances: Map<string, InstanceSettings>;
let imagePath: string;
let store: DeployStore;
let changes: DeployRecord[];
let nodeMacs: Map<string, string | null>;
let logs: DeployLogLine[];
let policies: Map<string, DiskPolicy>;
let inventories: Map<string, Inventory>;
let erasesUsed: string[];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-orch-'));
  rack = new FakeRack();
  store = await DeployStore.open(dir);
  changes = [];
  nodeMacs = new Map();
  logs = [];
  policies = new Map();
  inventories = new Map();
  erasesUsed = [];
  instances = new Map();
  imagePath = IMAGE.path;
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function orchestrator(options: Partial<OrchestratorOptions> = {}): Orchestrator {
  const engine: Orchestrator = new Orchestrator(
    {
      store,
      images: { get: (id) => (id === 'huge' ? { ...IMAGE, id, virtualSize: 5_000_000_000 } : { ...IMAGE, path: imagePath }) },
      nodes: {
        target: (nodeId) => ({
          nodeId,
          name: nodeId,
          bmc: { address: `10.0.0.${nodeId.slice(1)}`, port: 623, user: 'root', password: 'pw' },
          mac: nodeMacs.get(nodeId) ?? null,
          ...(instances.has(nodeId) ? { instance: instances.get(nodeId)! } : {}),
        }),
        setMac: async (nodeId, mac) => {
          nodeMacs.set(nodeId, mac);
        },
        diskPolicy: (nodeId) => policies.get(nodeId) ?? { hints: null, eraseTargetDisk: false, cleaning: 'none' },
        eraseConfirmationUsed: async (nodeId) => {
          erasesUsed.push(nodeId);
        },
      },
      inventory: {
        record: async (nodeId, inventory) => {
          inventories.set(nodeId, inventory);
          return [];
        },
      },
      power: rack,
      network: rack,
      ramdisk: {
        paths: async () => {
          rack.ramdiskRequests.push(rack.log.length);
          return { kernelUrlPath: '/boot/vmlinuz', initrdUrlPath: '/boot/initrd', nicDriversUrlPath: null };
        },
        imageUrlPaths: async () => ({ dataUrlPath: '/images/img1/data', mapUrlPath: '/images/img1/extents' }),
      },
      agent: { offer: (job: AgentJob) => rack.agent.offer(job), withdraw: (mac) => rack.agent.withdraw(mac) },
      upCheck: {
        waitUntilUp: async (target, _signal, onOutput) => {
          for (const bytes of rack.consoleBytes) onOutput?.(bytes);
          if (rack.silentBootMs > 0) await new Promise((resolve) => setTimeout(resolve, rack.silentBootMs));
          rack.active.delete(target.nodeId);
          return 'serial console showed the login prompt';
        },
        signalAwaited: async () => '"login:" on its serial console',
      },
      onChange: (record) => changes.push(record),
      onLog: (_nodeId, line) => logs.push(line),
    },
    { concurrency: 4, powerOnSpacingMs: 0, timeoutScale: 0.01, disk: 'auto', ...options },
  );
  rack.agent = new AgentApi(
    (job, report) => engine.agentReport(job, report),
    (refusal) => refusal.mac && engine.agentRefused(refusal.mac, refusal.reason),
    (job, disk) => engine.configDrivePlan(job, disk),
  );
  return engine;
}

/** Deploys a node with stall warnings after 100 ms; the log as "level message" lines. */
async function deployWithStallWarnings(nodeId: string): Promise<string[]> {
  await orchestrator({ timeoutScale: 1, stallWarningMs: 100 }).start(nodeId, 'img1');
  expect((await settled(nodeId)).status).toBe('deployed');
  return logs.map((line) => `${line.level} ${line.message}`);
}

function addNode(id: string, mac: string, known = false): void {
  rack.macs.set(id, mac);
  nodeMacs.set(id, known ? mac : null);
}

async function settled(nodeId: string, withinMs = 4_000): Promise<DeployRecord> {
  for (let i = 0; i < withinMs / 10; i++) {
    const record = store.get(nodeId);
    if (record && record.status !== 'running') return record;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`deploy of ${nodeId} did not settle: ${JSON.stringify(store.get(nodeId))}`);
}

describe('disk choice and the data on it', () => {
  it('chooses the disk from the inventory the agent posted, logs which and why, and names it in the job', async () => {
    addNode('n1', '52:54:00:00:00:01', true);
    await orchestrator().start('n1', 'img1');
    expect((await settled('n1')).status).toBe('deployed');
    expect(rack.jobs.get('n1')).toMatch(/^disk=\/dev\/vda\nclean=none$/m);
    expect(logs.map((line) => line.message)).toContain('Target disk: vda (virtio, 8.6 GB, serial VDA-1) is the smallest fixed disk of at least 4 GiB (no root device hints).');
    expect(inventories.get('n1')?.disks[0]).toMatchObject({ name: 'vda', serial: 'VDA-1', transport: 'virtio' });
  });

  it('keeps the inventory of a deploy that ended before the agent reported LLDP: the write does not wait for the switch', async () => {
    addNode('n1', '52:54:00:00:00:01', true);
    rack.lldpReports.set('n1', null);
    await orchestrator().start('n1', 'img1');
    expect((await settled('n1')).status).toBe('deployed');
    await vi.waitFor(() => expect(inventories.get('n1')?.nics[0]).toMatchObject({ name: 'eth0', lldp: null }));
    expect(logs.map((line) => line.message).filter((message) => message.startsWith('LLDP'))).toEqual([]);
  });

  it('refuses a disk that holds a filesystem unless erasing was confirmed, before the agent gets a job', async () => {
    addNode('n1', '52:54:00:00:00:01', true);
    rack.disks.set('n1', { sizeBytes: 8 * GIB, holdsData: true });
    await orchestrator().start('n1', 'img1');
    const record = await settled('n1');
    expect(record.status).toBe('failed');
    expect(record.failure).toMatchObject({ phase: 'agent-connected', reason: expect.stringMatching(/Refused to write the image: vda holds data \(ext4 ‘data’\); nothing was written/) });
    expect(rack.jobs.get('n1')).toMatch(/no deploy job/);
    expect(record.bytesWritten).toBe(0);
  });

  it('with the erase confirmed, wipes the target first, writes, and spends the confirmation', async () => {
    addNode('n1', '52:54:00:00:00:01', true);
    rack.disks.set('n1', { sizeBytes: 8 * GIB, holdsData: true });
    policies.set('n1', { hints: { serial: 'vda-1' }, eraseTargetDisk: true, cleaning: 'none' });
    await orchestrator().start('n1', 'img1');
    expect((await settled('n1')).status).toBe('deployed');
    expect(rack.jobs.get('n1')).toMatch(/^disk=\/dev\/vda\nclean=\/dev\/vda$/m);
    expect(logs.map((line) => line.message)).toContain('Erasing vda as the operator confirmed: it holds ext4 ‘data’.');
    expect(erasesUsed).toEqual(['n1']);
  });

  it('refuses an image bigger than the chosen disk, and a hint no disk matches', async () => {
    addNode('n1', '52:54:00:00:00:01', true);
    addNode('n2', '52:54:00:00:00:02', true);
    rack.disks.set('n1', { sizeBytes: 4 * GIB + 0 * 4096, holdsData: false });
    policies.set('n1', { hints: { name: 'vda' }, eraseTargetDisk: false, cleaning: 'none' });
    policies.set('n2', { hints: { serial: 'NOT-THERE' }, eraseTargetDisk: false, cleaning: 'none' });
    const engine = orchestrator();
    await engine.start('n1', 'huge');
    await engine.start('n2', 'img1');
    expect((await settled('n1')).failure?.reason).toMatch(/the image needs 5.0 GB \(5000000000 bytes\) but vda .* holds only 4294967296 bytes/);
    expect((await settled('n2')).failure?.reason).toMatch(/No disk to write to, nothing was written: no disk matches the root device hints \(serial=NOT-THERE\): vda: serial is “VDA-1”, not “NOT-THERE”/);
  });
});

describe('config drive', () => {
  const settings: InstanceSettings = {
    hostname: 'web-07',
    sshKeys: [],
    network: { kind: 'dhcp' },
    userData: '',
    upSignal: { kind: 'ssh' },
  };

  beforeEach(async () => {
    // An MBR image with one Linux partition: the config drive takes the second primary slot.
    const image = Buffer.alloc(4096);
    image[446 + 4] = 0x83;
    image.writeUInt32LE(1, 446 + 8);
    image.writeUInt32LE(7, 446 + 12);
    image.writeUInt16LE(0xaa55, 510);
    imagePath = path.join(dir, 'image.raw');
    await writeFile(imagePath, image);
    addNode('n1', '52:54:00:00:00:01', true);
    instances.set('n1', settings);
  });

  it('is deployed once the agent reads back every region as planned', async () => {
    await orchestrator().start('n1', 'img1');
    const record = await settled('n1');
    expect(record.failure).toBeNull();
    expect(record.status).toBe('deployed');
    expect(logs.map((line) => line.message)).toContain('Config drive written and read back intact.');
  });

  it('fails, naming the sectors, when a region reads back otherwise', async () => {
    rack.configDriveCorrupt.add('n1');
    await orchestrator().start('n1', 'img1');
    const record = await settled('n1');
    expect(record.status).toBe('failed');
    expect(record.failure?.reason).toMatch(/The config drive was not written: the config drive sectors at \d+ do not read back as written/);
  });
});

describe('inspection', () => {
  it('boots the agent, keeps its inventory with the switch port it heard, powers the server off and writes nothing', async () => {
    addNode('n1', '52:54:00:00:00:01', true);
    rack.lldpReports.set('n1', `lldp.eth0=${LLDP_FRAME}\n`);
    await orchestrator().inspect('n1');
    const record = await settled('n1');
    expect(record).toMatchObject({ status: 'idle', imageId: null, failure: null });
    expect(record.history.map((entry) => entry.phase)).toEqual(['enrolled', 'bmc-verified', 'mac-captured', 'booting-pxe', 'dhcp', 'bootloader', 'ramdisk', 'agent-connected']);
    expect(rack.jobs.get('n1')).toBe('action=inspect\n');
    expect(inventories.get('n1')?.nics[0]).toMatchObject({ mac: '52:54:00:00:00:01', hasLink: true, lldp: { systemName: 'rack3-tor', portId: 'Gi1/0/7' } });
    expect(logs.map((line) => line.message)).toContain('LLDP: eth0 on switch port Gi1/0/7 on rack3-tor.');
    expect(rack.powerOffs).toEqual(['n1']);
    expect(rack.log).not.toContain('n1 bootdev disk persistent');
  });
});

describe('orchestrator', () => {
  it('takes a node known only by its BMC through capture, boot, write, verify and reboot to deployed', async () => {
    addNode('n1', '52:54:00:00:00:01');
    await orchestrator().start('n1', 'img1');
    const record = await settled('n1');
    expect(record.status).toBe('deployed');
    expect(record.history.map((entry) => entry.phase)).toEqual([
      'enrolled', 'bmc-verified', 'mac-captured', 'booting-pxe', 'dhcp', 'bootloader', 'ramdisk', 'agent-connected',
      'writing-image', 'verifying', 'switching-to-disk', 'rebooting', 'deployed',
    ]);
    expect(nodeMacs.get('n1')).toBe('52:54:00:00:00:01');
    expect(rack.log).toEqual(['n1 bootdev pxe', 'n1 restart', 'n1 bootdev pxe', 'n1 restart', 'n1 bootdev disk persistent', 'n1 restart']);
    expect(rack.prepared.size).toBe(0);
  });

  it('captures a MAC on its own the way a deploy does: network boot once, power on, bind, record, no deploy record', async () => {
    addNode('n1', '52:54:00:00:00:01');
    const captured = await orchestrator().captureMac('n1', 'uefi', new AbortController().signal);
    expect(captured).toEqual({ mac: '52:54:00:00:00:01', matchedBy: 'system-guid' });
    expect(nodeMacs.get('n1')).toBe('52:54:00:00:00:01');
    expect(rack.log).toEqual(['n1 bootdev pxe', 'n1 restart']);
    expect(store.get('n1')).toBeUndefined();
    expect(logs.map((line) => line.message)).toContain('Captured MAC 52:54:00:00:00:01 (matched the BMC System GUID).');
  });

  it('asks for the deploy ramdisk first, so it is built while the BMC is checked and the MAC captured', async () => {
    addNode('n1', '52:54:00:00:00:01');
    await orchestrator().start('n1', 'img1');
    expect((await settled('n1')).status).toBe('deployed');
    expect(rack.ramdiskRequests).toEqual([0]);
  });

  it('fails only the node whose BMC password is wrong, with the BMC message', async () => {
    addNode('n1', '52:54:00:00:00:01', true);
    addNode('n2', '52:54:00:00:00:02', true);
    rack.wrongPassword.add('n2');
    const engine = orchestrator();
    await engine.start('n1', 'img1');
    await engine.start('n2', 'img1');
    expect((await settled('n1')).status).toBe('deployed');
    expect(await settled('n2')).toMatchObject({ status: 'failed', failure: { phase: 'enrolled', reason: expect.stringContaining('wrong password') } });
  });

  it('times out a server that never PXE-boots in the capture phase, with the hint', async () => {
    addNode('n1', '52:54:00:00:00:01');
    rack.silentNic.add('n1');
    await orchestrator().start('n1', 'img1');
    expect(await settled('n1')).toMatchObject({
      status: 'failed',
      failure: { phase: 'bmc-verified', reason: expect.stringContaining('is PXE enabled on NIC1 and the cable in the provisioning switch?') },
    });
  });

  it('says the agent called and was refused, not that its NIC lacks a driver, when it never got its job', async () => {
    addNode('n1', '52:54:00:00:00:01', true);
    rack.staleToken.add('n1');
    await orchestrator().start('n1', 'img1');
    const record = await settled('n1');
    expect(record).toMatchObject({ status: 'failed', failure: { phase: 'ramdisk' } });
    expect(record.failure?.reason).toMatch(/^The deploy agent called but Rackboot refused it: wrong job token \(at \d\d:\d\d:\d\d UTC\)\./);
    expect(record.failure?.reason).not.toContain('driver');
  });

  it('fails in verifying when the disk does not hold the image, and a retry boots again', async () => {
    addNode('n1', '52:54:00:00:00:01', true);
    rack.corruptDisk.add('n1');
    const engine = orchestrator();
    await engine.start('n1', 'img1');
    expect(await settled('n1')).toMatchObject({ status: 'failed', failure: { phase: 'verifying', reason: expect.stringContaining('sha256 of the data extents read back') } });
    rack.corruptDisk.delete('n1');
    rack.log.length = 0;
    const resumed = await engine.start('n1', 'img1');
    expect(resumed.phase).toBe('mac-captured');
    expect((await settled('n1')).status).toBe('deployed');
    expect(rack.log[0]).toBe('n1 bootdev pxe');
  });

  it('cancels a running deploy', async () => {
    addNode('n1', '52:54:00:00:00:01');
    rack.silentNic.add('n1');
    const engine = orchestrator({ timeoutScale: 1 });
    await engine.start('n1', 'img1');
    await new Promise((resolve) => setTimeout(resolve, 30));
    await engine.cancel('n1');
    expect((await settled('n1')).status).toBe('cancelled');
    expect(engine.isRunning('n1')).toBe(false);
  });

  it('keeps ordering boot-from-disk while the phase allows when the BMC is silent, logging every retry, and deploys', async () => {
    addNode('n1', '52:54:00:00:00:01', true);
    // Silent from the write on for a third of what switching-to-disk allows (120 s × 0.005 = 600 ms).
    rack.bmcSilentUntil = Number.POSITIVE_INFINITY;
    const engine = orchestrator({ timeoutScale: 0.005 });
    const timer = setInterval(() => {
      if (store.get('n1')?.phase === 'switching-to-disk' && rack.bmcSilentUntil === Number.POSITIVE_INFINITY) rack.bmcSilentUntil = Date.now() + 200;
    }, 1);
    try {
      await engine.start('n1', 'img1');
      expect((await settled('n1')).status).toBe('deployed');
    } finally {
      clearInterval(timer);
    }
    const bmcLines = logs.filter((line) => line.source === 'bmc').map((line) => line.message);
    expect(bmcLines).toContain('No answer from the BMC to Set System Boot Options (boot flags); sent again (retransmission 1) while setting boot from disk.');
    expect(bmcLines).toContainEqual(expect.stringMatching(/^Try 1 failed while setting boot from disk: BMC 10\.0\.0\.1 did not answer on UDP port 623 after 4 tries\. Trying again; \d+ s left of the 0\.6 s switching-to-disk allows\.$/));
    expect(bmcLines.filter((line) => line.startsWith('Try ')).length).toBeGreaterThanOrEqual(2);
  });

  it('fails in switching-to-disk, with the last BMC error, when the BMC stays silent longer than that phase allows', async () => {
    addNode('n1', '52:54:00:00:00:01', true);
    rack.bmcSilentUntil = Number.POSITIVE_INFINITY;
    const started = Date.now();
    await orchestrator({ timeoutScale: 0.005 }).start('n1', 'img1');
    const record = await settled('n1');
    expect(record).toMatchObject({
      status: 'failed',
      failure: {
        phase: 'switching-to-disk',
        reason: expect.stringMatching(/^The BMC did not accept boot-from-disk within 0\.6 s \(last try: BMC 10\.0\.0\.1 did not answer on UDP port 623 after 4 tries\)/),
      },
    });
    // It kept trying for the phase's whole time, not for one IPMI session's retry window.
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
    expect(logs.at(-1)?.message).toMatch(/^Deploy failed in switching-to-disk: /);
  });

  it('warns when the image write stops moving, with the bytes so far on both sides, and says when it moves again', async () => {
    addNode('n1', '52:54:00:00:00:01', true);
    rack.writeStallMs = 250;
    const messages = await deployWithStallWarnings('n1');
    expect(messages).toContain(
      'warn No progress for 0 s waiting for verifying: the agent reports 2048 of 4096 bytes written; the HTTP server has sent the image\'s data up to byte 2048 of 4096.',
    );
    expect(messages).toContain('warn The image transfer broke at data byte 2048 of 4096: the client closed the connection after 2048 of 4096 bytes.');
    expect(messages).toContain('info The agent resumes the image: serving its data from byte 2048 of 4096 (HTTP Range).');
    expect(messages).toContainEqual(expect.stringMatching(/^info Moving again after 0 s: the agent reports 2048 of 4096 bytes written/));
  });

  it('says nothing of a connection the agent gave up on that the server sees end only after the resume finished', async () => {
    addNode('n1', '52:54:00:00:00:01', true);
    rack.writeStallMs = 250;
    rack.stalledConnectionEndsLate = true;
    const messages = await deployWithStallWarnings('n1');
    expect(messages).toContain('info The agent resumes the image: serving its data from byte 2048 of 4096 (HTTP Range).');
    expect(messages.filter((message) => message.includes('broke'))).toEqual([]);
  });

  it('says what it waits for after the reboot, and speaks of console output only where some came', async () => {
    addNode('n1', '52:54:00:00:00:01', true);
    rack.silentBootMs = 250;
    let messages = await deployWithStallWarnings('n1');
    expect(messages).toContain('info Waiting for the installed OS: "login:" on its serial console.');
    expect(messages).toContain('warn Waiting for the installed OS ("login:" on its serial console): not seen 0 s after the reboot.');
    expect(messages.filter((message) => message.includes('console output'))).toEqual([]);

    logs.length = 0;
    rack.consoleBytes = [120, 480];
    messages = await deployWithStallWarnings('n1');
    expect(messages).toContain('warn Waiting for the installed OS ("login:" on its serial console): no new console output for 0 s (480 bytes seen since the reboot).');
  });

  it('times out a write whose agent keeps reporting the same byte count', async () => {
    addNode('n1', '52:54:00:00:00:01', true);
    rack.writeStuck = true;
    // verifying allows 3600 s × 0.0005 = 1.8 s without a new byte.
    await orchestrator({ timeoutScale: 0.0005 }).start('n1', 'img1');
    expect(await settled('n1', 4_000)).toMatchObject({
      status: 'failed',
      failure: { phase: 'writing-image', reason: expect.stringContaining('The image write did not finish within 1.8 s') },
    });
  });

  it('fails a deploy in writing-image at once, with how far the image got, when the boot services are stopped mid-write', async () => {
    addNode('n1', '52:54:00:00:00:01', true);
    // The agent wrote half and then waits on the image server: the phase limit (and the stall warnings) are far away.
    rack.writeStallMs = 60_000;
    // What the agent wrote was sent, though the HTTP server has not said so yet.
    rack.httpStepLags = true;
    const engine = orchestrator({ timeoutScale: 1 });
    await engine.start('n1', 'img1');
    for (let i = 0; i < 200 && store.get('n1')?.phase !== 'writing-image'; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    const stoppedAt = Date.now();
    engine.servicesStopping();
    expect(await settled('n1')).toMatchObject({
      status: 'failed',
      failure: {
        phase: 'writing-image',
        reason:
          "The image server (Rackboot's boot services) was stopped while the image was being written: 2048 of 4096 bytes had been sent and the agent reported 2048 written, " +
          'so the disk holds a partial image. To finish, start the boot services and deploy again.',
      },
    });
    expect(Date.now() - stoppedAt).toBeLessThan(1_000);
    expect(logs.at(-1)?.message).toMatch(/^Deploy failed in writing-image: The image server/);
  });

  it('fails a deploy or inspection still booting when the boot services are stopped', async () => {
    addNode('n1', '52:54:00:00:00:01', true);
    addNode('n2', '52:54:00:00:00:02', true);
    rack.silentNic.add('n1');
    rack.silentNic.add('n2');
    const engine = orchestrator({ timeoutScale: 1 });
    await engine.start('n1', 'img1');
    await engine.inspect('n2');
    for (let i = 0; i < 200 && !(store.get('n1')?.phase === 'booting-pxe' && store.get('n2')?.phase === 'booting-pxe'); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    engine.servicesStopping();
    expect(await settled('n1')).toMatchObject({
      status: 'failed',
      failure: {
        phase: 'booting-pxe',
        reason: 'The network boot services were stopped before the image was written: the server can no longer boot the agent or reach Rackboot. To finish, start the boot services and deploy again.',
      },
    });
    expect((await settled('n2')).failure?.reason).toMatch(/before the inspection finished: .* start the boot services and inspect again\.$/);
  });

  it('runs no more deploys at once than allowed and spaces power-ons apart', async () => {
    for (let i = 1; i <= 3; i++) addNode(`n${i}`, `52:54:00:00:00:0${i}`, true);
    const engine = orchestrator({ concurrency: 2, powerOnSpacingMs: 40 });
    for (let i = 1; i <= 3; i++) await engine.start(`n${i}`, 'img1');
    for (let i = 1; i <= 3; i++) expect((await settled(`n${i}`)).status).toBe('deployed');
    const gaps = rack.powerOnTimes.slice(1).map((time, index) => time - rack.powerOnTimes[index]!);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(35);
    expect(rack.maxActive).toBe(2);
  });
});
