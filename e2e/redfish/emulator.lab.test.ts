// Rackboot's Redfish client against sushy-tools over TLS with an auth file, cross-checked with DMTF's redfishtool and
// Ironic's python3-sushy on the same emulator; the external notifier's reports are the emulator's own witness.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../electron/core/core';
import { KeyFileSecretBox } from '../../electron/inventory/secret-box';
import { RedfishClient, RedfishConnection, RedfishWrongPasswordError, TlsCertificateChangedError } from '../../electron/redfish';
import { makeCertificate, startSushy, sushyMissing, type Sushy } from './sushy';

const run = promisify(execFile);
const missing = sushyMissing();
if (missing) console.log(`Redfish emulator tests skipped: ${missing}.`);

const USER = 'rackadmin';
const PASSWORD = 'S3cret-pw';
const UUID = randomUUID();
const MAC = '52:54:00:aa:bb:01';

describe.skipIf(missing !== null)('Redfish against sushy-tools', () => {
  let sushy: Sushy;
  let port: number;
  let hook: http.Server;
  const notices: Array<{ power_state?: string; boot_device?: string; pending_power?: { power_state: string } | null }> = [];
  const closers: Array<() => Promise<void>> = [];

  const client = (password = PASSWORD, trust = sushy.pin): RedfishClient => {
    const connection = new RedfishConnection({ address: '127.0.0.1', port, user: USER, password, trust }, { retryDelayMs: 100 });
    closers.push(() => connection.close());
    return new RedfishClient(connection, null);
  };
  const redfishtool = async (...args: string[]): Promise<unknown> => {
    const { stdout } = await run('redfishtool', ['-r', `127.0.0.1:${port}`, '-u', USER, '-p', PASSWORD, '-S', 'Always', ...args]);
    return JSON.parse(stdout);
  };
  const pySushy = async (code: string): Promise<string> => {
    const script = `import sushy\nroot = sushy.Sushy('https://127.0.0.1:${port}/redfish/v1', auth=sushy.auth.BasicAuth('${USER}', '${PASSWORD}'))\nsystem = root.get_system(root.get_system_collection().members_identities[0])\n${code}`;
    // python3-sushy checks the emulator's certificate against the one the harness made (requests reads the bundle).
    const { stdout } = await run('/usr/bin/python3', ['-c', script], { env: { ...process.env, REQUESTS_CA_BUNDLE: sushy.certPath } });
    return stdout.trim();
  };

  beforeAll(async () => {
    hook = http.createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        notices.push(JSON.parse(body) as (typeof notices)[number]);
        response.end('{}');
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    port = 20_000 + Math.floor(Math.random() * 20_000);
    sushy = await startSushy({
      listenIp: '127.0.0.1',
      port,
      user: USER,
      password: PASSWORD,
      systems: [{ uuid: UUID, name: 'rack-u1', mac: MAC }],
      notifierUrl: `http://127.0.0.1:${(hook.address() as AddressInfo).port}`,
    });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(closers.map((close) => close()));
    await sushy?.stop();
    hook?.close();
  });

  it('reads the same system facts as redfishtool and python3-sushy', async () => {
    const { system } = await client().read();
    expect(system.uuid).toBe(UUID);
    const tool = (await redfishtool('Systems', '-F', 'get')) as { UUID: string; PowerState: string };
    expect(tool.UUID).toBe(system.uuid);
    expect(tool.PowerState).toBe(system.powerState);
    expect(await pySushy('print(system.uuid, system.power_state.value)')).toBe(`${UUID} ${system.powerState}`);
  }, 60_000);

  it('sets the boot override as python3-sushy reads it, and reads what sushy sets', async () => {
    await client().setBootOverride({ device: 'pxe', persistent: true, mode: 'uefi' });
    expect(await pySushy('print(system.boot.target)')).toMatch(/pxe/i);
    expect(notices.some((notice) => notice.boot_device === 'Pxe')).toBe(true);
    await pySushy("system.set_system_boot_options(target=sushy.BootSource.HDD, enabled=sushy.BootSourceOverrideEnabled.CONTINUOUS)");
    expect((await client().read()).system.boot.target).toBe('Hdd');
  }, 60_000);

  it('powers on with a reset the system allows; the notifier and redfishtool see it', async () => {
    const rackboot = client();
    expect(await rackboot.power('on')).toBe('On');
    expect(notices.at(-1)?.pending_power?.power_state).toBe('On');
    const deadline = Date.now() + 20_000;
    while (!(await rackboot.powerOn())) {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(((await redfishtool('Systems', '-F', 'get')) as { PowerState: string }).PowerState).toBe('On');
    expect(await rackboot.power('on')).toBeNull();
    expect(await rackboot.power('restart')).toBe('ForceRestart');
  }, 60_000);

  it('names a wrong password as such', async () => {
    const error = await client('not-the-password').read().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RedfishWrongPasswordError);
    expect((error as Error).message).toBe(
      `BMC 127.0.0.1 rejected user ${USER}: wrong password (or no such user: Redfish does not say which) — check the user name and password in the BMC's user list or web page`,
    );
  }, 30_000);

  it('finds the BMC by auto-detection, shows its certificate before any login, and logs in once it is trusted', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-redfish-core-'));
    const core: Core = await createCore({ dataDir, secrets: await KeyFileSecretBox.load(path.join(dataDir, 'secret.key')), shell: 'headless', version: 'test' });
    try {
      const added = await core.call('nodes.add', { name: 'u1', bmcAddress: '127.0.0.1', bmcPort: 1, bmcUser: USER, bmcPassword: PASSWORD, redfishPort: port });
      if (!added.ok) throw new Error(added.error.message);
      const first = await core.call('bmc.test', { nodeId: added.output.id });
      if (!first.ok) throw new Error(first.error.message);
      expect(first.output).toMatchObject({ protocol: 'redfish', trust: 'untrusted', system: null, certificate: { sha256: (sushy.pin as { sha256: string }).sha256 } });
      if (first.output.protocol !== 'redfish' || !first.output.certificate) throw new Error('no certificate shown');
      await core.call('nodes.update', { id: added.output.id, changes: { tlsTrust: { kind: 'pin', ...first.output.certificate } } });
      const second = await core.call('bmc.test', { nodeId: added.output.id });
      if (!second.ok) throw new Error(second.error.message);
      expect(second.output).toMatchObject({ protocol: 'redfish', trust: 'trusted', systemGuid: UUID });
      const nodes = await core.call('nodes.list', {});
      expect(nodes.ok && nodes.output[0]).toMatchObject({ bmcProtocol: 'auto', bmcProtocolSeen: 'redfish', systemGuid: UUID });
    } finally {
      await core.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('after a power order, follows the state until the BMC has carried it out (the emulator applies orders 1–11 s later)', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-redfish-power-'));
    const core: Core = await createCore({ dataDir, secrets: await KeyFileSecretBox.load(path.join(dataDir, 'secret.key')), shell: 'headless', version: 'test' });
    try {
      const added = await core.call('nodes.add', { name: 'u1', bmcAddress: '127.0.0.1', bmcPort: 1, bmcUser: USER, bmcPassword: PASSWORD, redfishPort: port, bmcProtocol: 'redfish' });
      if (!added.ok) throw new Error(added.error.message);
      const nodeId = added.output.id;
      await core.call('nodes.update', { id: nodeId, changes: { tlsTrust: sushy.pin } });
      const before = await core.call('bmc.test', { nodeId });
      if (!before.ok || before.output.powerOn === null) throw new Error(before.ok ? 'no power state' : before.error.message);
      const ordered = !before.output.powerOn;
      const seen: boolean[] = [];
      core.bus.on('power.changed', (event) => {
        if (event.nodeId === nodeId) seen.push(event.powerOn);
      });
      const answer = await core.call('bmc.power', { nodeId, action: ordered ? 'on' : 'off' });
      if (!answer.ok) throw new Error(answer.error.message);
      // Right after the order the emulator still reports the state before it; nobody asks again, yet the change comes.
      expect(answer.output.powerOn).toBe(!ordered);
      const deadline = Date.now() + 20_000;
      while (seen.at(-1) !== ordered) {
        expect(Date.now(), `power states reported: ${seen.join(', ')}`).toBeLessThan(deadline);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(seen[0]).toBe(!ordered);
    } finally {
      await core.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuses a BMC whose certificate changed, until the new one is accepted', async () => {
    const pinned = sushy.pin;
    await sushy.stop();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-cert-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    sushy = await startSushy({ listenIp: '127.0.0.1', port, user: USER, password: PASSWORD, systems: [{ uuid: UUID, name: 'rack-u1', mac: MAC }], certificate: makeCertificate(dir, '127.0.0.1', 'renewed') });
    const error = await client(PASSWORD, pinned).read().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TlsCertificateChangedError);
    expect((error as Error).message).toMatch(/TLS certificate changed/);
    expect((await client(PASSWORD, sushy.pin).read()).system.uuid).toBe(UUID);
  }, 60_000);
});
