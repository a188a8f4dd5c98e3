import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HelperClient } from '../../electron/network/helper/client';
import { isRoot, linkNamespaces, Netns, run } from '../support/netns';

/**
 * The laptop is a namespace: `eth-prov` (a veth) plays the wired provisioning NIC, its peer `far0` sits in a second
 * namespace (the switch side, where a dnsmasq or another machine can live); `wlan-sim` carries the default route and
 * plays the Wi-Fi uplink that must never change. The code under test runs inside the laptop namespace through
 * net-entry.ts (Node cannot switch namespaces).
 */

const here = path.dirname(fileURLToPath(import.meta.url));
const ENTRY = path.join(here, 'net-entry.ts');
const HELPER = path.resolve(here, '../../electron/net-helper.ts');
const nodeInNs = (ns: Netns, script: string): string[] => ['netns', 'exec', ns.name, process.execPath, '--import', 'tsx', script];
/** The helper as pkexec starts it: empty environment, only the IPC channel on fd 0 announced again by the launcher. */
const helperInNs = (ns: Netns): string[] => ['netns', 'exec', ns.name, 'env', '-i', 'NODE_CHANNEL_FD=0', process.execPath, '--import', 'tsx', HELPER];

type EntryResult = { ok: true; value: unknown } | { ok: false; error: { code: string; message: string } };

function runEntry(ns: Netns, dataDir: string, command: string, input: unknown = {}, env: Record<string, string> = {}): Promise<EntryResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', [...nodeInNs(ns, ENTRY), dataDir, command, JSON.stringify(input)], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', () => {
      const line = stdout.trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(line) as EntryResult);
      } catch {
        reject(new Error(`net-entry ${command} printed no result: ${stdout} ${stderr}`));
      }
    });
  });
}

async function ok<T>(result: Promise<EntryResult>): Promise<T> {
  const settled = await result;
  if (!settled.ok) throw new Error(`${settled.error.code}: ${settled.error.message}`);
  return settled.value as T;
}

/** `ip -j addr` + `ip -j link` of one device, without what the kernel changes by itself (IPv6 DAD in progress). */
async function deviceState(ns: Netns, device: string): Promise<unknown> {
  const [addr, link] = await Promise.all([ns.ip('-j', 'addr', 'show', 'dev', device), ns.ip('-j', '-d', 'link', 'show', 'dev', device)]);
  const addresses = (JSON.parse(addr) as Array<{ addr_info: Array<Record<string, unknown>> }>).map((entry) => ({
    ...entry,
    addr_info: entry.addr_info.map(({ tentative: _tentative, ...rest }) => rest),
  }));
  return { addresses, link: JSON.parse(link) as unknown };
}

async function routes(ns: Netns): Promise<unknown> {
  return JSON.parse(await ns.ip('-j', 'route', 'show', 'table', 'main')) as unknown;
}

async function snapshot(ns: Netns): Promise<unknown> {
  return { eth: await deviceState(ns, 'eth-prov'), wifi: await deviceState(ns, 'wlan-sim'), routes: await routes(ns) };
}

async function exists(ns: Netns, device: string): Promise<boolean> {
  return ns.ip('link', 'show', 'dev', device).then(
    () => true,
    () => false,
  );
}

async function fileExists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/**
 * The host's own interfaces, as `ip -j -d link` and `ip -j addr` show them. Veth ends are left out: test runs
 * (this one's and other areas') create them in the host namespace for a moment before moving them into theirs.
 */
async function hostInterfaces(names?: string[]): Promise<Record<string, unknown>> {
  const links = JSON.parse(await run('ip', ['-j', '-d', 'link', 'show'])) as Array<{ ifname: string; linkinfo?: { info_kind?: string } }>;
  const addrs = JSON.parse(await run('ip', ['-j', 'addr', 'show'])) as Array<{ ifname: string }>;
  const wanted = names ?? links.filter((link) => link.linkinfo?.info_kind !== 'veth').map((link) => link.ifname);
  return Object.fromEntries(
    wanted.map((name) => [name, { link: links.find((link) => link.ifname === name), addr: addrs.find((addr) => addr.ifname === name) }]),
  );
}

const describeLab = isRoot() ? describe : describe.skip;
if (!isRoot()) console.log('network lab tests skipped: they need root to create network namespaces');

describeLab('laptop network setup in a namespace', () => {
  let laptop: Netns;
  let far: Netns;
  let dataDir = '';
  let hostBefore: Record<string, unknown> = {};
  const started: Array<{ kill: (signal: NodeJS.Signals) => boolean }> = [];

  beforeAll(async () => {
    hostBefore = await hostInterfaces();
  });

  beforeEach(async () => {
    laptop = await Netns.create('rbnl');
    far = await Netns.create('rbnf');
    await linkNamespaces(laptop, 'eth-prov', far, 'far0');
    await linkNamespaces(laptop, 'wlan-sim', far, 'farw');
    await laptop.ip('addr', 'add', '10.20.0.5/24', 'dev', 'wlan-sim');
    await laptop.ip('route', 'add', 'default', 'via', '10.20.0.1', 'dev', 'wlan-sim');
    // The wired port already has an address and a static route: undo must bring both back.
    await laptop.ip('addr', 'add', '192.168.7.3/24', 'dev', 'eth-prov');
    await laptop.ip('route', 'add', '10.99.0.0/16', 'via', '192.168.7.1', 'dev', 'eth-prov');
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-net-'));
  });

  afterEach(async () => {
    for (const child of started.splice(0)) child.kill('SIGKILL');
    await laptop.destroy();
    await far.destroy();
    await rm(dataDir, { recursive: true, force: true });
  });

  afterAll(async () => {
    // Nothing outside the test namespaces changed: the host's interfaces are exactly as before.
    expect(await hostInterfaces(Object.keys(hostBefore))).toEqual(hostBefore);
  });

  it('lists the wired port as recommended and the uplink as not', async () => {
    const interfaces = await ok<Array<{ name: string; kind: string; carrier: boolean; recommended: boolean; carriesDefaultRoute: boolean }>>(runEntry(laptop, dataDir, 'interfaces'));
    expect(interfaces.find((iface) => iface.name === 'eth-prov')).toMatchObject({ kind: 'wired', carrier: true, recommended: true });
    expect(interfaces.find((iface) => iface.name === 'wlan-sim')).toMatchObject({ carriesDefaultRoute: true, recommended: false });
  });

  it('quitting the app undoes its change', async () => {
    const before = await snapshot(laptop);
    expect(await ok(runEntry(laptop, dataDir, 'apply-and-quit', { interface: 'eth-prov' }))).toBeNull();
    expect(await snapshot(laptop)).toEqual(before);
  });

  it('applies the bridge plan: the interfaces are exactly as planned and the Wi-Fi is untouched', async () => {
    const before = await snapshot(laptop);
    await ok(runEntry(laptop, dataDir, 'apply', { interface: 'eth-prov' }));

    const bridge = JSON.parse(await laptop.ip('-j', 'addr', 'show', 'dev', 'br-eth-prov')) as Array<{ flags: string[]; addr_info: Array<Record<string, unknown>> }>;
    expect(bridge[0]?.flags).toContain('UP');
    expect(bridge[0]?.addr_info.filter((info) => info.family === 'inet')).toEqual([
      expect.objectContaining({ local: '192.168.2.10', prefixlen: 24, broadcast: '192.168.2.255', scope: 'global' }),
    ]);
    const eth = JSON.parse(await laptop.ip('-j', 'addr', 'show', 'dev', 'eth-prov')) as Array<{ master?: string; flags: string[]; addr_info: Array<{ family: string }> }>;
    expect(eth[0]).toMatchObject({ master: 'br-eth-prov' });
    expect(eth[0]?.flags).toContain('UP');
    expect(eth[0]?.addr_info.filter((info) => info.family === 'inet')).toEqual([]);
    expect(((await snapshot(laptop)) as { wifi: unknown }).wifi).toEqual((before as { wifi: unknown }).wifi);
  });

  it('undo restores exactly the state before: addresses, master, up/down and routes', async () => {
    const before = await snapshot(laptop);
    await ok(runEntry(laptop, dataDir, 'apply', { interface: 'eth-prov' }));
    expect(await ok(runEntry(laptop, dataDir, 'undo'))).toEqual({ restored: true });
    expect(await snapshot(laptop)).toEqual(before);
    expect(await exists(laptop, 'br-eth-prov')).toBe(false);
    expect(await fileExists(path.join(dataDir, 'network-journal.json'))).toBe(false);
  });

  it('address-only mode on a port that was down: applies, and undo takes it back down', async () => {
    await laptop.ip('link', 'set', 'eth-prov', 'down');
    const before = await snapshot(laptop);
    await ok(runEntry(laptop, dataDir, 'apply', { interface: 'eth-prov', mode: 'address-only', subnet: '10.77.0.0/24', address: '10.77.0.1' }));
    const inet = (JSON.parse(await laptop.ip('-j', 'addr', 'show', 'dev', 'eth-prov')) as Array<{ flags: string[]; addr_info: Array<{ family: string; local: string }> }>)[0];
    expect(inet?.flags).toContain('UP');
    expect(inet?.addr_info.filter((info) => info.family === 'inet').map((info) => info.local)).toEqual(['192.168.7.3', '10.77.0.1']);
    await ok(runEntry(laptop, dataDir, 'undo'));
    expect(await snapshot(laptop)).toEqual(before);
  });

  it('a failure half-way rolls back by itself', async () => {
    const before = await snapshot(laptop);
    const result = await runEntry(laptop, dataDir, 'apply', { interface: 'eth-prov' }, { RACKBOOT_TEST_FAIL_AT: '4' });
    expect(result).toMatchObject({ ok: false, error: { code: 'apply-failed', message: expect.stringContaining('put eth-prov back as it was') } });
    expect(await snapshot(laptop)).toEqual(before);
    expect(await exists(laptop, 'br-eth-prov')).toBe(false);
    expect(await fileExists(path.join(dataDir, 'network-journal.json'))).toBe(false);
  });

  it('the journal survives kill -9 half-way and a new process undoes to exactly the state before', async () => {
    const before = await snapshot(laptop);
    const child = spawn('ip', [...nodeInNs(laptop, ENTRY), dataDir, 'apply', JSON.stringify({ interface: 'eth-prov' })], {
      env: { ...process.env, RACKBOOT_TEST_PAUSE_AT: '4' },
    });
    started.push(child);
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('paused') && resolve());
      child.on('exit', (code) => reject(new Error(`apply exited (${code}) before pausing`)));
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    // Half-way: the bridge exists, the old address is gone, the port is in the bridge.
    expect(await exists(laptop, 'br-eth-prov')).toBe(true);

    const pending = await ok<Record<string, unknown>>(runEntry(laptop, dataDir, 'pending'));
    expect(pending).toMatchObject({ interface: 'eth-prov', bridge: 'br-eth-prov', phase: 'applying', stepsStarted: 4, stepsTotal: 5, fromEarlierRun: true });
    expect(await ok(runEntry(laptop, dataDir, 'undo'))).toEqual({ restored: true });
    expect(await snapshot(laptop)).toEqual(before);
    expect(await ok(runEntry(laptop, dataDir, 'pending'))).toBeNull();
  });

  it('the ARP probe finds the laptop address already taken on the segment', async () => {
    await far.ip('addr', 'add', '192.168.2.10/24', 'dev', 'far0');
    const farMac = (JSON.parse(await far.ip('-j', 'link', 'show', 'dev', 'far0')) as Array<{ address: string }>)[0]?.address;
    const plan = await ok<{ canApply: boolean; checks: Array<{ id: string; message: string }> }>(runEntry(laptop, dataDir, 'plan', { interface: 'eth-prov' }));
    expect(plan.canApply).toBe(false);
    expect(plan.checks).toEqual([expect.objectContaining({ id: 'address-in-use', message: expect.stringContaining(farMac ?? 'missing') })]);
  });

  it('the DHCP probe finds a dnsmasq on the far side and recommends proxy mode', async () => {
    await far.ip('addr', 'add', '192.168.2.1/24', 'dev', 'far0');
    const dnsmasq = far.spawn('dnsmasq', [
      '--keep-in-foreground', '--conf-file=/dev/null', '--port=0', '--interface=far0', '--bind-interfaces',
      '--dhcp-range=192.168.2.150,192.168.2.160,2m', `--dhcp-leasefile=${path.join(dataDir, 'far.leases')}`, '--pid-file=',
    ]);
    started.push(dnsmasq);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const result = await ok<{ checks: Array<{ id: string; message: string }> }>(runEntry(laptop, dataDir, 'apply', { interface: 'eth-prov' }));
    expect(result.checks).toEqual([
      expect.objectContaining({ id: 'other-dhcp-server', message: expect.stringMatching(/192\.168\.2\.1 offered 192\.168\.2\.1[56]\d\. Run Rackboot's DHCP in proxy mode/) }),
    ]);
  });

  it('apply and quit through the privileged helper put back exactly the state before, the static route included', async () => {
    const before = await snapshot(laptop);
    const viaHelper = { RACKBOOT_TEST_VIA_HELPER: '1' };
    expect(await ok(runEntry(laptop, dataDir, 'apply-and-quit', { interface: 'eth-prov' }, viaHelper))).toBeNull();
    expect(await snapshot(laptop)).toEqual(before);
  });

  it('a helper started after a crash does not add back a route it never saw, and says how to; undo then completes', async () => {
    const before = await snapshot(laptop);
    const viaHelper = { RACKBOOT_TEST_VIA_HELPER: '1' };
    // This process ends after the apply, as a crash would, and its helper with it.
    await ok(runEntry(laptop, dataDir, 'apply', { interface: 'eth-prov' }, viaHelper));
    const undo = await runEntry(laptop, dataDir, 'undo', {}, viaHelper);
    expect(undo).toMatchObject({
      ok: false,
      error: { code: 'undo-incomplete', message: expect.stringContaining('add it yourself: sudo ip route add 10.99.0.0/16 via 192.168.7.1 dev eth-prov') },
    });
    expect(undo.ok === false && undo.error.message).toMatch(/the route to 10\.99\.0\.0\/16 is missing/);
    await laptop.ip('route', 'add', '10.99.0.0/16', 'via', '192.168.7.1', 'dev', 'eth-prov');
    expect(await ok(runEntry(laptop, dataDir, 'undo', {}, viaHelper))).toEqual({ restored: true });
    expect(await snapshot(laptop)).toEqual(before);
  });

  it('the privileged helper rejects other interfaces and arbitrary commands, and hands over port 67 tied to its NIC', async () => {
    const helper = await HelperClient.start({ command: 'ip', args: helperInNs(laptop) }, { interface: 'eth-prov', bridge: 'br-eth-prov' });
    try {
      const wifiBefore = await deviceState(laptop, 'wlan-sim');
      await expect(helper.run({ op: 'set-down', device: 'wlan-sim' })).rejects.toThrow(/outside this helper's scope/);
      await expect(helper.run({ op: 'address-delete', device: 'wlan-sim', address: '10.20.0.5', prefixLength: 24 })).rejects.toThrow(/outside/);
      await expect(helper.sendRaw({ type: 'exec', command: ['ip', 'link', 'set', 'wlan-sim', 'down'] })).rejects.toThrow(/not a helper request/);
      await expect(helper.sendRaw({ type: 'bind-udp', port: 53, address: '0.0.0.0', device: null, reuseAddress: true })).rejects.toThrow(/not a helper request/);
      expect(await deviceState(laptop, 'wlan-sim')).toEqual(wifiBefore);

      await helper.run({ op: 'set-down', device: 'eth-prov' });
      expect(((JSON.parse(await laptop.ip('-j', 'link', 'show', 'dev', 'eth-prov')) as Array<{ flags: string[] }>)[0]?.flags ?? []).includes('UP')).toBe(false);

      await expect(helper.bindUdp({ port: 67, address: '0.0.0.0', device: 'wlan-sim', reuseAddress: true })).rejects.toThrow(/outside this helper's scope/);
      // The socket was opened by the root helper inside the namespace, tied to eth-prov; this (test) process receives
      // on it, and only what arrives on eth-prov: the datagram sent over loopback first never shows up.
      await helper.run({ op: 'set-up', device: 'eth-prov' });
      await far.ip('addr', 'add', '192.168.7.9/24', 'dev', 'far0');
      const socket = await helper.bindUdp({ port: 67, address: '0.0.0.0', device: 'eth-prov', reuseAddress: true });
      try {
        expect(socket.address()).toMatchObject({ address: '0.0.0.0', port: 67 });
        const received = new Promise<string>((resolve) => socket.once('message', (message) => resolve(message.toString())));
        const send = (ns: Netns, text: string, to: string) =>
          ns.exec(process.execPath, ['-e', `const s=require('dgram').createSocket('udp4');s.send(${JSON.stringify(text)},67,${JSON.stringify(to)},()=>s.close())`]);
        await send(laptop, 'over loopback', '127.0.0.1');
        await send(far, 'over eth-prov', '192.168.7.3');
        expect(await received).toBe('over eth-prov');
      } finally {
        socket.close();
      }
    } finally {
      await helper.close();
    }
  });

  it('the helper refuses to start for the uplink', async () => {
    await expect(HelperClient.start({ command: 'ip', args: helperInNs(laptop) }, { interface: 'wlan-sim', bridge: null })).rejects.toThrow(/never changes it/);
  });
});

/**
 * Issue 13, defect 1: the helper must recognise the uplink however it is set up, and refuse it in every role. Each
 * test builds a laptop namespace with the wired NIC `eth-prov` and one kind of uplink, tries to make the helper act on
 * it, and checks afterwards that the uplink's addresses, link state, routes (every table, both families) and rules
 * are exactly as before.
 */
describeLab('the privileged helper never acts on the uplink', () => {
  let laptop: Netns;
  let far: Netns;
  let dataDir = '';

  beforeEach(async () => {
    laptop = await Netns.create('rbul');
    far = await Netns.create('rbuf');
    await linkNamespaces(laptop, 'eth-prov', far, 'far0');
    await laptop.ip('addr', 'add', '192.168.7.3/24', 'dev', 'eth-prov');
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-uplink-'));
  });

  afterEach(async () => {
    await laptop.destroy();
    await far.destroy();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** A JSON value without the bridge's running timers (`gc_timer`, `hello_timer`, …), which count by themselves. */
  const withoutTimers = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(withoutTimers)
      : typeof value === 'object' && value !== null
        ? Object.fromEntries(Object.entries(value).filter(([key]) => !key.endsWith('_timer')).map(([key, entry]) => [key, withoutTimers(entry)]))
        : value;

  /** Everything about the uplink a mistaken helper could change. */
  async function uplinkState(devices: string[]): Promise<unknown> {
    const json = async (...args: string[]): Promise<unknown> => JSON.parse(await laptop.ip('-j', ...args)) as unknown;
    return {
      devices: withoutTimers(await Promise.all(devices.map((device) => deviceState(laptop, device)))),
      routes4: await json('-4', 'route', 'show', 'table', 'all'),
      routes6: await json('-6', 'route', 'show', 'table', 'all'),
      rules4: await json('-4', 'rule', 'show'),
      rules6: await json('-6', 'rule', 'show'),
    };
  }

  /** Waits until IPv6 duplicate address detection is over: finished link-local addresses add routes to the local table. */
  async function ipv6Settled(): Promise<void> {
    for (let attempt = 0; attempt < 100; attempt += 1) {
      const entries = JSON.parse(await laptop.ip('-j', 'addr', 'show')) as Array<{ addr_info: Array<{ tentative?: boolean }> }>;
      if (!entries.some((entry) => entry.addr_info.some((info) => info.tentative))) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('IPv6 addresses stayed tentative for 10 s');
  }

  const startHelper = (scope: { interface: string; bridge: string | null }) => HelperClient.start({ command: 'ip', args: helperInNs(laptop) }, scope);

  /** Starts the helper for each scope; every start must be refused, and a helper that did start gets to show the harm. */
  async function expectRefused(scopes: Array<{ interface: string; bridge: string | null }>, reason: RegExp): Promise<void> {
    for (const scope of scopes) {
      const outcome = await startHelper(scope).then(
        async (helper) => {
          // A helper that should not exist: let it try what the issue saw it do, then fail the test.
          const target = scope.bridge ?? scope.interface;
          await helper.run({ op: 'set-down', device: target }).catch(() => undefined);
          await helper.close();
          return `started for ${JSON.stringify(scope)}`;
        },
        (error: unknown) => (error instanceof Error ? error.message : String(error)),
      );
      expect(outcome, JSON.stringify(scope)).toMatch(reason);
      expect(outcome).toMatch(/wired .*NIC/);
    }
  }

  it('refuses an IPv6-only uplink as the NIC and as the bridge, and the plan blocks it', async () => {
    await linkNamespaces(laptop, 'up6', far, 'far6');
    await laptop.ip('addr', 'add', '2001:db8:6::5/64', 'dev', 'up6', 'nodad');
    await laptop.ip('-6', 'route', 'add', 'default', 'via', '2001:db8:6::1', 'dev', 'up6');
    await ipv6Settled();
    const before = await uplinkState(['up6']);

    await expectRefused([{ interface: 'up6', bridge: null }, { interface: 'eth-prov', bridge: 'up6' }], /up6 carries an IPv6 default route/);
    const plan = await ok<{ canApply: boolean; checks: Array<{ id: string }> }>(runEntry(laptop, dataDir, 'plan', { interface: 'up6' }));
    expect(plan.canApply).toBe(false);
    expect(plan.checks.map((check) => check.id)).toContain('default-route');

    expect(await uplinkState(['up6'])).toEqual(before);
  });

  it('refuses a policy-routed uplink (default route only in another table, as wg-quick sets up)', async () => {
    await linkNamespaces(laptop, 'wg-sim', far, 'farw');
    await laptop.ip('addr', 'add', '10.30.0.5/24', 'dev', 'wg-sim');
    await laptop.ip('route', 'add', 'default', 'via', '10.30.0.1', 'dev', 'wg-sim', 'table', '51820');
    await laptop.ip('rule', 'add', 'not', 'fwmark', '51820', 'table', '51820');
    await laptop.ip('rule', 'add', 'table', 'main', 'suppress_prefixlength', '0');
    await ipv6Settled();
    const before = await uplinkState(['wg-sim']);

    await expectRefused([{ interface: 'wg-sim', bridge: null }, { interface: 'eth-prov', bridge: 'wg-sim' }], /wg-sim carries an IPv4 default route \(routing table 51820/);

    // A helper for the wired NIC may not add routes that would pull the uplink's traffic onto it.
    const helper = await startHelper({ interface: 'eth-prov', bridge: 'br-eth-prov' });
    try {
      const route = { device: 'eth-prov', gateway: '192.168.7.1', metric: null, scope: null, source: null, protocol: null } as const;
      await expect(helper.run({ op: 'route-add', destination: 'default', ...route })).rejects.toThrow(/default route/);
      await expect(helper.run({ op: 'route-add', destination: '10.30.0.0/25', ...route })).rejects.toThrow(/overlaps 10\.30\.0\.0\/24, which goes through your uplink wg-sim/);
      await expect(helper.run({ op: 'route-add', destination: '10.99.0.0/16', ...route })).rejects.toThrow(/did not see that route/);
      await expect(helper.bindUdp({ port: 67, address: '0.0.0.0', device: null, reuseAddress: true })).rejects.toThrow(/tied to .*eth-prov/);
    } finally {
      await helper.close();
    }

    expect(await uplinkState(['wg-sim'])).toEqual(before);
  });

  it('refuses the uplink named as the bridge, a bridge over the uplink, and a port of the uplink bridge', async () => {
    await linkNamespaces(laptop, 'wlan-sim', far, 'farw');
    await laptop.ip('addr', 'add', '10.20.0.5/24', 'dev', 'wlan-sim');
    await laptop.ip('route', 'add', 'default', 'via', '10.20.0.1', 'dev', 'wlan-sim');
    // A second uplink the way a docked laptop has one: a bridge holding the address and route, a NIC as its port.
    await linkNamespaces(laptop, 'dock0', far, 'fard');
    // forward_delay 0: the port forwards at once, so its state does not change by itself during the test.
    await laptop.ip('link', 'add', 'br-dock', 'type', 'bridge', 'forward_delay', '0');
    await laptop.ip('link', 'set', 'dock0', 'master', 'br-dock');
    await laptop.ip('link', 'set', 'br-dock', 'up');
    await laptop.ip('addr', 'add', '10.21.0.5/24', 'dev', 'br-dock');
    await laptop.ip('route', 'add', 'default', 'via', '10.21.0.1', 'dev', 'br-dock', 'metric', '200');
    const devices = ['wlan-sim', 'dock0', 'br-dock'];
    await ipv6Settled();
    const before = await uplinkState(devices);

    await expectRefused([{ interface: 'eth-prov', bridge: 'wlan-sim' }], /wlan-sim carries an IPv4 default route/);
    await expectRefused([{ interface: 'eth-prov', bridge: 'br-dock' }, { interface: 'dock0', bridge: null }], /br-dock(, which)? carries an IPv4 default route/);

    // The helper for the wired NIC still works, and enslaving the uplink to its bridge is refused.
    const helper = await startHelper({ interface: 'eth-prov', bridge: 'br-eth-prov' });
    try {
      await expect(helper.run({ op: 'set-master', device: 'wlan-sim', master: 'br-eth-prov' })).rejects.toThrow(/outside this helper's scope/);
      await expect(helper.sendRaw({ type: 'op', op: { op: 'set-down', device: '-wlan-sim' } })).rejects.toThrow(/not a helper request/);
      await helper.run({ op: 'set-up', device: 'eth-prov' });
    } finally {
      await helper.close();
    }

    expect(await uplinkState(devices)).toEqual(before);
  });
});
