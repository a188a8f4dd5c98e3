import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IronicNodeProgress } from '../../shared/ironic';
import { NodeStore } from '../../electron/inventory/node-store';
import { KeyFileSecretBox } from '../../electron/inventory/secret-box';
import { CHROMIUM_ARGS } from '../../playwright.config';
import { startLab, type Lab } from '../lab';
import { isRoot } from '../support/netns';
import { inNamespace, startHeadlessAppInLab } from '../ui/lab-app';
import { ironicInstalled, startIronic, type IronicServer } from './ironic-server';

/**
 * The hand-off against a real Ironic (Debian's ironic-api + ironic-conductor), standalone in the lab's laptop namespace:
 * Rackboot's CLI enrols the lab's servers, Ironic's own ipmitool checks the same ipmi_sim BMCs, and Ironic's own client
 * (`baremetal`) is the witness of what arrived. Redfish is not exercised here: the sushy-tools emulator harness of the
 * Redfish work had not landed when this was written.
 */

const CLI = path.resolve('dist/electron/cli.mjs');
const skip = !isRoot() || !ironicInstalled();
if (!isRoot()) console.log('skipped: the Ironic hand-off needs root (the virtual rack uses network namespaces and ipmi_sim)');
else if (!ironicInstalled()) console.log('skipped: Ironic is not installed (npm run lab:setup installs ironic-api, ironic-conductor, python3-ironicclient)');

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
  }, 600_000);

  afterAll(async () => {
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
      await page.getByRole('tab', { name: 'Boot' }).click();
      const panel = page.getByRole('region', { name: 'Hand off to Ironic' });
      await panel.getByLabel('Ironic API URL').fill(ironic.noauthUrl);
      await panel.getByLabel('Send server1').uncheck();
      await panel.getByLabel('Send server2').uncheck();
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
});
