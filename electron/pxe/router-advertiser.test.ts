// The advertiser's own logic with a stand-in dnsmasq (a shell script) and a recorded `ip`: what it runs, what it
// reports, what it cleans up. The real dnsmasq and the RA on the wire are tested in e2e/pxe/router-advertiser.lab.test.ts.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, type NetworkInterfaceInfo } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RouterAdvertiserEvent, routerAdvertiserEventSchema } from '../../shared/pxe';
import { CommandFailed } from '../lib/command-runner';
import { RouterAdvertiser, RouterAdvertiserError, type RouterAdvertiserOptions } from './router-advertiser';
import { ulaForMac } from './router-advertisement-plan';

const MAC = '52:54:00:aa:bb:01';
const ULA = ulaForMac(MAC);
const interfaces = (): NodeJS.Dict<NetworkInterfaceInfo[]> => ({
  prov0: [{ address: '10.77.0.1', netmask: '255.255.255.0', family: 'IPv4', mac: MAC, internal: false, cidr: '10.77.0.1/24' }],
});

let dir: string;
let ipCalls: string[][];
let ipFails: (args: readonly string[]) => string | null;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ra-test-'));
  ipCalls = [];
  ipFails = () => null;
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A stand-in dnsmasq: records its arguments, prints `lines` to stderr, then runs `then`. */
async function fakeDnsmasq(lines: string[], then = 'exec sleep 30'): Promise<string> {
  const file = path.join(dir, 'dnsmasq');
  const echo = lines.map((line) => `echo '${line}' >&2`).join('\n');
  await writeFile(file, `#!/bin/sh\nprintf '%s\\n' "$@" > '${dir}/args'\n${echo}\n${then}\n`, { mode: 0o755 });
  return file;
}

function advertiser(dnsmasq: string | null, overrides: Partial<RouterAdvertiserOptions> = {}): { ra: RouterAdvertiser; events: RouterAdvertiserEvent[] } {
  const ra = new RouterAdvertiser({
    interfaceName: 'prov0',
    interfaces,
    findProgram: async () => dnsmasq,
    runCommand: async (program, args) => {
      ipCalls.push([program, ...args]);
      const failure = ipFails(args);
      if (failure) throw new CommandFailed([program, ...args], failure, 2);
      return '';
    },
    startTimeoutMs: 2000,
    ...overrides,
  });
  const events: RouterAdvertiserEvent[] = [];
  ra.onEvent((event) => events.push(routerAdvertiserEventSchema.parse(event)));
  return { ra, events };
}

const ADVERTISING = 'dnsmasq-dhcp[7]: IPv6 router advertisement enabled';

async function rejection(promise: Promise<unknown>): Promise<RouterAdvertiserError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(RouterAdvertiserError);
  return error as RouterAdvertiserError;
}

describe('RouterAdvertiser', () => {
  it('adds the MAC-derived ULA without duplicate address detection, then runs dnsmasq in RA-only mode on it', async () => {
    const { ra, events } = advertiser(await fakeDnsmasq([ADVERTISING]));
    expect(await ra.start()).toEqual(ULA);
    try {
      expect(ipCalls).toEqual([['ip', '-6', 'addr', 'add', `${ULA.address}/64`, 'dev', 'prov0', 'nodad']]);
      const args = (await readFile(path.join(dir, 'args'), 'utf8')).split('\n');
      expect(args).toContain('--ra-param=prov0,high,0,0');
      expect(args).toContain(`--dhcp-range=${ULA.prefix},ra-only,64,30m`);
      expect(ra.prefix).toBe(ULA.prefix);
      expect(events).toMatchObject([{ state: 'running', interface: 'prov0', prefix: ULA.prefix, problem: null }]);
    } finally {
      await ra.stop();
    }
  });

  it('on stop ends dnsmasq, removes every address in its prefix and its work folder, and reports stopped', async () => {
    const { ra, events } = advertiser(await fakeDnsmasq([ADVERTISING]));
    await ra.start();
    const pidFile = (await readFile(path.join(dir, 'args'), 'utf8')).split('\n').find((arg) => arg.startsWith('--pid-file='))!;
    await ra.stop();
    expect(ipCalls.at(-1)).toEqual(['ip', '-6', 'addr', 'flush', 'dev', 'prov0', 'to', `${ULA.prefix}/64`]);
    await expect(readFile(path.dirname(pidFile.slice('--pid-file='.length)))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(events.map((event) => event.state)).toEqual(['running', 'stopped']);
    expect(ra.prefix).toBeNull();
  });

  it('stop during a start waits for it, then stops what it started', async () => {
    const { ra, events } = advertiser(await fakeDnsmasq([ADVERTISING]));
    const started = ra.start();
    await ra.stop();
    await started;
    expect(events.map((event) => event.state)).toEqual(['running', 'stopped']);
    expect(ra.prefix).toBeNull();
  });

  it('starts one dnsmasq when asked to start twice at once', async () => {
    const { ra } = advertiser(await fakeDnsmasq([ADVERTISING]));
    const [first, second] = await Promise.all([ra.start(), ra.start()]);
    await ra.stop();
    expect(second).toEqual(first);
    expect(ipCalls.map((call) => call[3])).toEqual(['add', 'flush']);
  });

  it('takes over the address a crashed run left on the interface', async () => {
    ipFails = (args) => (args.includes('add') ? 'RTNETLINK answers: File exists' : null);
    const { ra } = advertiser(await fakeDnsmasq([ADVERTISING]));
    await expect(ra.start()).resolves.toEqual(ULA);
    await ra.stop();
  });

  it('says dnsmasq is missing and how to install it, without touching the interface', async () => {
    const { ra, events } = advertiser(null);
    const error = await rejection(ra.start());
    expect(error.problem).toBe('dnsmasq-missing');
    expect(events).toMatchObject([{ state: 'failed', problem: 'dnsmasq-missing', message: error.message, prefix: null }]);
    expect(error.message).toMatch(/apt install dnsmasq-base/);
    expect(error.message).toMatch(/turn off "IPv6 router advertisements"/);
    expect(ipCalls).toEqual([]);
  });

  it('says it is Linux-only on macOS and Windows', async () => {
    for (const platform of ['darwin', 'win32'] as const) {
      const error = await rejection(advertiser('/usr/sbin/dnsmasq', { platform }).ra.start());
      expect(error.problem).toBe('unsupported-platform');
      expect(error.message).toMatch(/only available on Linux/);
    }
  });

  it('names a missing provisioning interface', async () => {
    const error = await rejection(advertiser('/usr/sbin/dnsmasq', { interfaces: () => ({}) }).ra.start());
    expect(error).toMatchObject({ problem: 'no-interface', message: expect.stringContaining('prov0 does not exist') });
  });

  it('asks for root when the address may not be added', async () => {
    ipFails = () => 'RTNETLINK answers: Operation not permitted';
    const error = await rejection(advertiser('/usr/sbin/dnsmasq').ra.start());
    expect(error).toMatchObject({ problem: 'not-permitted', message: expect.stringContaining('run Rackboot as root') });
  });

  it('passes on what dnsmasq said when it exits at start, and removes the address again', async () => {
    const dnsmasq = await fakeDnsmasq(['dnsmasq: failed to create ICMPv6 socket: Operation not permitted'], 'exit 5');
    const error = await rejection(advertiser(dnsmasq).ra.start());
    expect(error.problem).toBe('not-permitted');
    expect(error.message).toContain('failed to create ICMPv6 socket');
    expect(ipCalls.map((call) => call[3])).toEqual(['add', 'flush']);
  });

  it('gives up on a dnsmasq that never reports advertising, and kills it', async () => {
    const { ra } = advertiser(await fakeDnsmasq(['dnsmasq: started']), { startTimeoutMs: 300 });
    const error = await rejection(ra.start());
    expect(error).toMatchObject({ problem: 'dnsmasq-failed', message: expect.stringContaining('dnsmasq: started') });
    expect(ipCalls.map((call) => call[3])).toEqual(['add', 'flush']);
  });

  it('reports failed and removes the address when dnsmasq dies while running', async () => {
    const { ra, events } = advertiser(await fakeDnsmasq([ADVERTISING], 'sleep 0.3; exit 3'));
    await ra.start();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(events.at(-1)).toMatchObject({ state: 'failed', problem: 'dnsmasq-failed', message: expect.stringContaining('exit 3') });
    expect(ipCalls.at(-1)?.[3]).toBe('flush');
    expect(ra.prefix).toBeNull();
  });
});
