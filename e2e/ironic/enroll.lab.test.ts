import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Inventory, InventoryDisk } from '../../shared/inventory';
import type { IronicNodeProgress } from '../../shared/ironic';
import { InventoryStore } from '../../electron/inventory/inventory-store';
import { disk as inventoryDisk } from '../../electron/inventory/test-fixtures';
import { NodeStore } from '../../electron/inventory/node-store';
import { KeyFileSecretBox } from '../../electron/inventory/secret-box';
import { CHROMIUM_ARGS } from '../../playwright.config';
import { startLab, type Lab } from '../lab';
import { startSushy, sushyMissing, type Sushy } from '../redfish/sushy';
import { isRoot } from '../support/netns';
import { inNamespace, startHeadlessAppInLab } from '../ui/lab-app';
import { step } from '../ui/wizard-flow';
import { ironicInstalled, startIronic, type IronicServer } from './ironic-server';

/**
 * The hand-off against a real Ironic (Debian's ironic-api + ironic-conductor), standalone in the lab's laptop namespace:
 * Rackboot's CLI enrols the lab's servers, Ironic's own ipmitool checks the same ipmi_sim BMCs, and Ironic's own client
 * (`baremetal`) is the witness of what arrived. A fourth server, rf1, has a Redfish BMC: the sushy-tools emulator over
 * TLS (self-signed certificate, pinned in Rackboot) in the same namespace, which Ironic's redfish driver (python3-sushy)
 * checks; rf1 also has a stored inventory, whose properties and disk choice must reach Ironic.
 */

const CLI = path.resolve('dist/electron/cli.mjs');
const skip = !isRoot() || !ironicInstalled();
if (!isRoot()) console.log('skipped: the Ironic hand-off needs root (the virtual rack uses network namespaces and ipmi_sim)');
else if (!ironicInstalled()) console.log('skipped: Ironic is not installed (npm run lab:setup installs ironic-api, ironic-conductor, python3-ironicclient)');
const redfishMissing = skip ? null : sushyMissing();
if (redfishMissing) console.log(`Redfish hand-off tests skipped: ${redfishMissing}.`);

const RF_USER = 'rfadmin';
const RF_PASSWORD = `Rf-${Math.random().toString(36).slice(2, 10)}`;
const RF_UUID = randomUUID();
const RF_MAC = '52:54:00:7f:00:01';
const GiB = 1024 ** 3;

/** A disk as QEMU shows it to the agent: only what the hand-off reads differs between them. */
function disk(name: string, serial: string, sizeBytes: number, more: Partial<InventoryDisk> = {}): InventoryDisk {
  return inventoryDisk({ name, byPath: null, model: 'QEMU HARDDISK', vendor: 'QEMU', serial, hctl: null, sizeBytes, transport: 'virtio', ...more });
}

/**
 * What the agent would have collected on rf1: 2 sockets × 4 cores × 2 threads, 24 GiB, UEFI, a 20 GiB and a 50 GiB
 * disk and a USB stick. The operator chose the 50 GiB disk by its serial: Ironic's default (the smallest fixed disk)
 * would be the 20 GiB one, so local_gb shows which disk the choice took.
 */
const RF_INVENTORY: Inventory = {
  collectedAt: '2026-12-01T10:00:00.000Z',
  system: { vendor: 'Sushy Emulator', product: 'Fake', serial: 'RF-0001', uuid: RF_UUID },
  cpu: { model: 'Intel(R) Xeon(R) Silver 4314', arch: 'x86_64', sockets: 2, cores: 8, threads: 16 },
  memoryBytes: 24 * GiB,
  bootMode: 'uefi',
  disks: [
    disk('vda', 'RF-DISK-SMALL', 20 * GiB),
    disk('vdb', 'RF-DISK-BIG', 50 * GiB),
    disk('sda', 'USB-STICK', 16 * GiB, { transport: 'usb', removable: true }),
  ],
  nics: [{ name: 'eth0', mac: RF_MAC, driver: 'virtio_net', pciAddress: '0000:00:03.0', hasLink: true, speedMbps: 1000, lldp: null }],
};

interface CliRun {
  code: number;
  output: string;
  progress: IronicNodeProgress[];
}

function runCli(lab: Lab, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const assignments = Object.entries(env).map(([name, value]) => `${name}=${value}`);
    const child = lab.prov.spawn('env', [...assignments, process.execPath, CLI, 'ironic', ...args]);
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => {
      const progress = output
        .split('\n')
        .filter((line) => line.startsWith('{"event":"ironic.progress"'))
        .map((line) => (JSON.parse(line) as { progress: IronicNodeProgress }).progress);
      resolve({ code: code ?? -1, output, progress });
    });
  });
}

/** The last word on each node, by name. */
function finalStates(run: CliRun): Map<string, IronicNodeProgress> {
  return new Map(run.progress.map((entry) => [entry.name, entry]));
}

interface IronicNodeRow {
  uuid: string;
  name: string;
  driver: string;
  provision_state: string;
  driver_info: Record<string, unknown>;
  properties: Record<string, unknown>;
  extra: Record<string, unknown>;
  updated_at: string | null;
  last_error: string | null;
}

interface IronicPortRow {
  uuid: string;
  address: string;
  node_uuid: string;
  pxe_enabled: boolean;
  updated_at: string | null;
}

describe.skipIf(skip)('hand-off to a real Ironic', () => {
  let lab: Lab;
  let ironic: IronicServer;
  let dir: string;
  let dataDir: string;
  let redfishBmc: Sushy | undefined;

  // `baremetal … list --fields` refuses updated_at, so each record is read with `show`, which gives every field.
  const nodeRows = async (): Promise<IronicNodeRow[]> => {
    const uuids = (await ironic.baremetal('node', 'list', '-f', 'value', '-c', 'UUID')).split('\n').filter(Boolean);
    const rows = await Promise.all(uuids.map(async (uuid) => JSON.parse(await ironic.baremetal('node', 'show', uuid, '-f', 'json')) as IronicNodeRow));
    return rows.sort((a, b) => a.name.localeCompare(b.name));
  };
  const portRows = async (): Promise<IronicPortRow[]> => {
    const uuids = (await ironic.baremetal('port', 'list', '-f', 'value', '-c', 'UUID')).split('\n').filter(Boolean);
    const rows = await Promise.all(uuids.map(async (uuid) => JSON.parse(await ironic.baremetal('port', 'show', uuid, '-f', 'json')) as IronicPortRow));
    return rows.sort((a, b) => a.address.localeCompare(b.address));
  };

  beforeAll(async () => {
    lab = await startLab({ servers: 3 });
    dir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-ironic-'));
    ironic = await startIronic(lab.prov, path.join(dir, 'ironic'));
    console.log(`Ironic (3 processes) answered ${ironic.startSeconds.toFixed(1)} s after start`);
    dataDir = path.join(dir, 'data');
    const store = await NodeStore.open(dataDir, await KeyFileSecretBox.load(path.join(dataDir, 'secret.key')));
    const [first, second, third] = lab.servers as [Lab['servers'][0], Lab['servers'][0], Lab['servers'][0]];
    for (const [server, password, hints] of [
      [first, first.bmc.password, { name: 'vda' }],
      [second, second.bmc.password, null],
      // The third BMC gets a password it does not take: Ironic's check must fail and say so.
      [third, `${third.bmc.password}-wrong`, null],
    ] as const) {
      const node = await store.add({
        name: server.name,
        bmcAddress: server.bmc.address,
        bmcPort: server.bmc.port,
        bmcUser: server.bmc.user,
        bmcPassword: password,
        mac: server.mac,
        rootDeviceHints: hints,
      });
      await store.recordFacts(node.id, { systemGuid: server.uuid });
    }
    if (!redfishMissing) {
      // The Redfish BMC lives beside Ironic in the laptop namespace; Rackboot trusts its certificate by the pin.
      const port = 20_000 + Math.floor(Math.random() * 20_000);
      redfishBmc = await startSushy({ listenIp: '127.0.0.1', port, netns: lab.prov, user: RF_USER, password: RF_PASSWORD, systems: [{ uuid: RF_UUID, name: 'rf1', mac: RF_MAC }] });
      const node = await store.add({
        name: 'rf1',
        bmcAddress: '127.0.0.1',
        bmcUser: RF_USER,
        bmcPassword: RF_PASSWORD,
        bmcProtocol: 'redfish',
        redfishPort: port,
        tlsTrust: redfishBmc.pin,
        mac: RF_MAC,
        rootDeviceHints: { serial: 'RF-DISK-BIG' },
      });
      await store.recordFacts(node.id, { systemGuid: RF_UUID });
      await (await InventoryStore.open(dataDir, store)).save(node.id, RF_INVENTORY);
    }
  }, 600_000);

  afterAll(async () => {
    await redfishBmc?.stop();
    await ironic?.stop();
    await lab?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  let enrolled: IronicNodeRow[] = [];
  let enrolledPorts: IronicPortRow[] = [];

  it('enrols the servers over http_basic; Ironic checks their BMCs itself and makes them manageable', async () => {
    const refused = await runCli(lab, ['enroll', '--url', ironic.basicUrl, '--auth', 'http_basic', '--user', ironic.basicUser, '--nodes', 'server1', '--data-dir', dataDir], {
      OS_PASSWORD: 'not-the-password',
    });
    expect(refused.code).not.toBe(0);
    expect(refused.output).toMatch(/Ironic refused the sign-in \(401\)/);
    expect(refused.output).not.toContain(lab.servers[0]!.bmc.password);

    const run = await runCli(
      lab,
      ['enroll', '--url', ironic.basicUrl, '--auth', 'http_basic', '--user', ironic.basicUser, '--nodes', 'server1,server2', '--json', '--data-dir', dataDir],
      { OS_PASSWORD: ironic.basicPassword },
    );
    expect(run.code, run.output).toBe(0);
    const states = finalStates(run);
    for (const name of ['server1', 'server2']) {
      expect(states.get(name)).toMatchObject({ step: 'manageable', change: 'created', provisionState: 'manageable' });
      // Live: each node was seen being checked before it was manageable.
      expect(run.progress.filter((entry) => entry.name === name).map((entry) => entry.step)).toEqual(expect.arrayContaining(['queued', 'sending', 'verifying', 'manageable']));
    }
    expect(run.output).not.toContain(lab.servers[0]!.bmc.password);

    enrolled = await nodeRows();
    enrolledPorts = await portRows();
    expect(enrolled.map((node) => node.name).sort()).toEqual(['server1', 'server2']);
    for (const server of lab.servers.slice(0, 2)) {
      const node = enrolled.find((row) => row.name === server.name)!;
      expect(node).toMatchObject({
        driver: 'ipmi',
        provision_state: 'manageable',
        driver_info: { ipmi_address: server.bmc.address, ipmi_port: server.bmc.port, ipmi_username: server.bmc.user, ipmi_password: '******' },
        extra: { system_uuid: server.uuid.toLowerCase() },
      });
      const ports = enrolledPorts.filter((port) => port.node_uuid === node.uuid);
      expect(ports.map(({ address, pxe_enabled }) => ({ address, pxe_enabled }))).toEqual([{ address: server.mac, pxe_enabled: true }]);
    }
    expect(enrolled.find((row) => row.name === 'server1')!.properties).toMatchObject({ root_device: { name: '/dev/vda' } });
  });

  it('a second enrolment (noauth this time) changes nothing and duplicates nothing', async () => {
    const run = await runCli(lab, ['enroll', '--url', ironic.noauthUrl, '--nodes', 'server1,server2', '--json', '--data-dir', dataDir]);
    expect(run.code, run.output).toBe(0);
    for (const name of ['server1', 'server2']) expect(finalStates(run).get(name)).toMatchObject({ step: 'manageable', change: 'unchanged' });
    const nodes = await nodeRows();
    const ports = await portRows();
    expect(nodes.map(({ uuid, updated_at }) => ({ uuid, updated_at }))).toEqual(enrolled.map(({ uuid, updated_at }) => ({ uuid, updated_at })));
    expect(ports.map(({ uuid, updated_at }) => ({ uuid, updated_at }))).toEqual(enrolledPorts.map(({ uuid, updated_at }) => ({ uuid, updated_at })));
  });

  it('the exported file, fed to baremetal create, yields the same nodes and ports as the direct enrolment', async () => {
    const bare = path.join(dir, 'no-passwords.json');
    const withPasswords = path.join(dir, 'ironic-nodes.json');
    expect((await runCli(lab, ['export', '--out', bare, '--nodes', 'server1,server2', '--data-dir', dataDir])).code).toBe(0);
    expect(await readFile(bare, 'utf8')).not.toMatch(/password/);
    const exported = await runCli(lab, ['export', '--out', withPasswords, '--nodes', 'server1,server2', '--include-passwords', '--data-dir', dataDir]);
    expect(exported.code, exported.output).toBe(0);
    expect((await stat(withPasswords)).mode & 0o777).toBe(0o600);
    expect(await readFile(withPasswords, 'utf8')).toContain(lab.servers[0]!.bmc.password);

    await ironic.baremetal('node', 'delete', 'server1', 'server2');
    expect(await nodeRows()).toEqual([]);
    await ironic.baremetal('create', withPasswords);

    const created = await nodeRows();
    const createdPorts = await portRows();
    const shape = (nodes: IronicNodeRow[], ports: IronicPortRow[], keys: (node: IronicNodeRow) => string[]) =>
      nodes
        .map((node) => ({
          name: node.name,
          driver: node.driver,
          driver_info: node.driver_info,
          extra: node.extra,
          // Ironic's BMC check adds what it learnt (the vendor); the comparison is over what the file carries.
          properties: Object.fromEntries(keys(node).map((key) => [key, node.properties[key]])),
          ports: ports.filter((port) => port.node_uuid === node.uuid).map(({ address, pxe_enabled }) => ({ address, pxe_enabled })),
        }))
        .sort((a, b) => a.name.localeCompare(b.name));
    const fileNodes = (JSON.parse(await readFile(withPasswords, 'utf8')) as { nodes: { name: string; properties: Record<string, unknown> }[] }).nodes;
    const keysOf = (node: IronicNodeRow): string[] => Object.keys(fileNodes.find((entry) => entry.name === node.name)!.properties);
    expect(shape(created, createdPorts, keysOf)).toEqual(shape(enrolled, enrolledPorts, keysOf));
    expect(created.every((node) => node.provision_state === 'enroll')).toBe(true);

    // Rackboot picks up what another tool made: the same records, the password sent again since Ironic has not checked it.
    const run = await runCli(lab, ['enroll', '--url', ironic.noauthUrl, '--nodes', 'server1,server2', '--json', '--data-dir', dataDir]);
    expect(run.code, run.output).toBe(0);
    for (const name of ['server1', 'server2']) expect(finalStates(run).get(name)).toMatchObject({ step: 'manageable', change: 'updated' });
    expect((await nodeRows()).map((node) => node.uuid).sort()).toEqual(created.map((node) => node.uuid).sort());
  });

  it('a wrong BMC password: the wizard shows Ironic’s last_error, in plain words', async () => {
    const app = await startHeadlessAppInLab(lab, dataDir);
    let browser: Browser | undefined;
    try {
      browser = await chromium.launch({ executablePath: await inNamespace(lab.prov, dir, process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'), args: CHROMIUM_ARGS });
      const page = await browser.newPage();
      await page.goto(app.url);
      await step(page, 'Boot');
      const panel = page.getByRole('region', { name: 'Hand off to Ironic' });
      await panel.getByLabel('Ironic API URL').fill(ironic.noauthUrl);
      await panel.getByLabel('Send server1').uncheck();
      await panel.getByLabel('Send server2').uncheck();
      if (!redfishMissing) await panel.getByLabel('Send rf1').uncheck();
      await panel.getByRole('button', { name: 'Enrol in Ironic' }).click();
      const row = panel.getByRole('row', { name: 'Ironic hand-off of server3' });
      await row.getByText('Ironic checks the BMC').waitFor({ timeout: 60_000 });
      await row.getByRole('cell', { name: /^failed/ }).waitFor({ timeout: 240_000 });
      const shown = (await row.textContent()) ?? '';
      const lastError = JSON.parse(await ironic.baremetal('node', 'show', 'server3', '-f', 'json', '-c', 'last_error')) as { last_error: string };
      expect(lastError.last_error).toMatch(/power/i);
      expect(shown).toContain('check the BMC password');
      expect(shown).toContain(lastError.last_error.trim());
      await expect(panel.getByRole('status').textContent()).resolves.toMatch(/0 of 1 server\(s\) are in Ironic and manageable; 1 need attention/);
      // Nothing of the BMC passwords reached the page.
      const html = await page.content();
      for (const server of lab.servers) expect(html).not.toContain(server.bmc.password);
    } finally {
      await browser?.close();
      await app.stop();
    }
  });

  it('imports Ironic’s nodes into a technician’s empty Rackboot: BMC, MAC, GUID and disk choice, never a password', async () => {
    // Enrolled already in a full run (then this changes nothing); alone, this test puts them there first.
    const sent = await runCli(lab, ['enroll', '--no-manage', '--url', ironic.noauthUrl, '--nodes', 'server1,server2', '--data-dir', dataDir]);
    expect(sent.code, sent.output).toBe(0);
    const fresh = path.join(dir, 'technician');
    const run = await runCli(lab, ['import', '--url', ironic.noauthUrl, '--nodes', 'server1,server2,ghost', '--data-dir', fresh]);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/skipped ghost: Ironic has no node with this name or UUID/);
    const store = await NodeStore.open(fresh, await KeyFileSecretBox.load(path.join(fresh, 'secret.key')));
    const imported = store.list().sort((a, b) => a.name.localeCompare(b.name));
    expect(imported.map(({ name, bmcAddress, bmcPort, bmcUser, mac, systemGuid, hasPassword, rootDeviceHints }) => ({ name, bmcAddress, bmcPort, bmcUser, mac, systemGuid, hasPassword, rootDeviceHints }))).toEqual(
      lab.servers.slice(0, 2).map((server, index) => ({
        name: server.name,
        bmcAddress: server.bmc.address,
        bmcPort: server.bmc.port,
        bmcUser: server.bmc.user,
        mac: server.mac,
        systemGuid: server.uuid.toLowerCase(),
        hasPassword: false,
        rootDeviceHints: index === 0 ? { name: 'vda' } : null,
      })),
    );
  });

  // Enrolled by the Redfish test first in a full run; each test below also stands alone (`-t`).
  const enrolRf1 = async (): Promise<CliRun> => {
    const run = await runCli(lab, ['enroll', '--url', ironic.noauthUrl, '--nodes', 'rf1', '--json', '--data-dir', dataDir]);
    expect(run.code, run.output).toBe(0);
    expect(finalStates(run).get('rf1')).toMatchObject({ step: 'manageable', provisionState: 'manageable' });
    return run;
  };

  it.skipIf(redfishMissing !== null)('enrols a Redfish server: Ironic’s redfish driver checks the emulator over TLS and makes it manageable', async () => {
    const before = (redfishBmc!.log().match(/GET \/redfish\/v1\/Systems\/\S+ HTTP/g) ?? []).length;
    const run = await enrolRf1();
    expect(run.progress.filter((entry) => entry.name === 'rf1').map((entry) => entry.step)).toEqual(expect.arrayContaining(['sending', 'verifying', 'manageable']));
    expect(run.output).not.toContain(RF_PASSWORD);
    const node = (await nodeRows()).find((row) => row.name === 'rf1')!;
    const port = new URL(redfishBmc!.url).port;
    expect(node).toMatchObject({
      driver: 'redfish',
      provision_state: 'manageable',
      last_error: null,
      // A pinned self-signed certificate cannot be told to Ironic (docs/decisions.md, "Redfish nodes in Ironic").
      driver_info: { redfish_address: `https://127.0.0.1:${port}`, redfish_username: RF_USER, redfish_password: '******', redfish_verify_ca: false },
      extra: { system_uuid: RF_UUID },
    });
    expect(node.driver_info).not.toHaveProperty('redfish_system_id');
    const ports = (await portRows()).filter((row) => row.node_uuid === node.uuid);
    expect(ports.map(({ address, pxe_enabled }) => ({ address, pxe_enabled }))).toEqual([{ address: RF_MAC, pxe_enabled: true }]);
    // Ironic itself read the system from the emulator (the emulator's access log is the witness).
    expect((redfishBmc!.log().match(/GET \/redfish\/v1\/Systems\/\S+ HTTP/g) ?? []).length).toBeGreaterThan(before);
  });

  it.skipIf(redfishMissing !== null)('the stored inventory reaches Ironic: cpus, memory_mb, local_gb and root_device of the chosen disk, cpu_arch, boot_mode', async () => {
    await enrolRf1();
    const shown = JSON.parse(await ironic.baremetal('node', 'show', 'rf1', '-f', 'json', '-c', 'properties')) as { properties: Record<string, unknown> };
    expect(shown.properties).toMatchObject({
      cpus: 16,
      memory_mb: 24 * 1024,
      // The 50 GiB disk the serial hint chose, less one GiB for partitioning (as Ironic's inspection counts it).
      local_gb: 49,
      cpu_arch: 'x86_64',
      capabilities: 'boot_mode:uefi',
      root_device: { serial: 'RF-DISK-BIG' },
    });
  });

  it.skipIf(redfishMissing !== null)('a Redfish server’s exported file, fed to baremetal create, yields the same node and port, which Ironic then manages', async () => {
    await enrolRf1();
    const direct = (await nodeRows()).find((row) => row.name === 'rf1')!;
    const directPorts = (await portRows()).filter((row) => row.node_uuid === direct.uuid);
    const file = path.join(dir, 'rf1.json');
    const exported = await runCli(lab, ['export', '--out', file, '--nodes', 'rf1', '--include-passwords', '--data-dir', dataDir]);
    expect(exported.code, exported.output).toBe(0);
    const fileNode = (JSON.parse(await readFile(file, 'utf8')) as { nodes: { name: string; driver_info: Record<string, unknown>; properties: Record<string, unknown> }[] }).nodes;
    expect(fileNode.map((node) => node.name)).toEqual(['rf1']);
    expect(fileNode[0]!.driver_info).toMatchObject({ redfish_password: RF_PASSWORD, redfish_verify_ca: false });

    await ironic.baremetal('node', 'delete', 'rf1');
    await ironic.baremetal('create', file);
    const created = (await nodeRows()).find((row) => row.name === 'rf1')!;
    const createdPorts = (await portRows()).filter((row) => row.node_uuid === created.uuid);
    const keys = Object.keys(fileNode[0]!.properties);
    expect(keys).toEqual(expect.arrayContaining(['cpus', 'memory_mb', 'local_gb', 'cpu_arch', 'capabilities', 'root_device']));
    const shape = (node: IronicNodeRow, ports: IronicPortRow[]) => ({
      driver: node.driver,
      driver_info: node.driver_info,
      extra: node.extra,
      properties: Object.fromEntries(keys.map((key) => [key, node.properties[key]])),
      ports: ports.map(({ address, pxe_enabled }) => ({ address, pxe_enabled })),
    });
    expect(created.uuid).not.toBe(direct.uuid);
    expect(created.provision_state).toBe('enroll');
    expect(shape(created, createdPorts)).toEqual(shape(direct, directPorts));

    // Rackboot takes over the node the file made (same record) and Ironic's check passes on it as well.
    const run = await runCli(lab, ['enroll', '--url', ironic.noauthUrl, '--nodes', 'rf1', '--json', '--data-dir', dataDir]);
    expect(run.code, run.output).toBe(0);
    expect(finalStates(run).get('rf1')).toMatchObject({ step: 'manageable', change: 'updated' });
    expect((await nodeRows()).find((row) => row.name === 'rf1')!.uuid).toBe(created.uuid);
  });

  it.skipIf(redfishMissing !== null)('imports a Redfish node from Ironic as Redfish: address, port, user, MAC and GUID; a password never', async () => {
    await enrolRf1();
    const fresh = path.join(dir, 'technician-rf');
    const run = await runCli(lab, ['import', '--url', ironic.noauthUrl, '--nodes', 'rf1', '--data-dir', fresh]);
    expect(run.code, run.output).toBe(0);
    const store = await NodeStore.open(fresh, await KeyFileSecretBox.load(path.join(fresh, 'secret.key')));
    const [node] = store.list();
    expect(node).toMatchObject({
      name: 'rf1',
      bmcProtocol: 'redfish',
      bmcAddress: '127.0.0.1',
      redfishPort: Number(new URL(redfishBmc!.url).port),
      redfishSystemId: null,
      bmcUser: RF_USER,
      mac: RF_MAC,
      systemGuid: RF_UUID,
      hasPassword: false,
      tlsTrust: null,
    });
  });
});
