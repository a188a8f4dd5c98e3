// The agent's LLDP helper (dist/agent-tools/lldp-listen) against a real LLDP speaker: lldpd on the switch side of a
// veth pair in a namespace of the test's own, the helper on the server side; Rackboot's reader turns the frame it
// printed into the neighbour the inventory shows.
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseLldpFrame } from '../../electron/deploy/lldp';
import { isRoot, linkNamespaces, Netns } from '../support/netns';

const HELPER = fileURLToPath(new URL('../../dist/agent-tools/lldp-listen', import.meta.url));
const skip = !isRoot() || !existsSync('/usr/sbin/lldpd') || !existsSync(HELPER);
if (skip) console.log('LLDP lab test skipped: it needs root, lldpd (scripts/install-debian-packages.sh) and npm run build.');

describe.skipIf(skip)('LLDP neighbour of a NIC', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('hears the switch lldpd announces (system name, chassis MAC, port name) within a few seconds, and stops once heard', async () => {
    const switchSide = await Netns.create('rb-lldp-sw');
    cleanups.push(() => switchSide.destroy());
    const serverSide = await Netns.create('rb-lldp-srv');
    cleanups.push(() => serverSide.destroy());
    await linkNamespaces(switchSide, 'gi1-0-7', serverSide, 'eth0');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-lldp-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    // lldpd's unprivileged half (user _lldpd) reaches its control socket in this folder.
    await chmod(dir, 0o755);
    // Every second, as a switch's fast transmission after a link comes up: the agent listens only a few seconds.
    await writeFile(path.join(dir, 'lldpd.conf'), 'configure system hostname rack3-tor\nconfigure lldp portidsubtype ifname\nconfigure lldp tx-interval 1\n');
    const switchMac = (await switchSide.exec('cat', ['/sys/class/net/gi1-0-7/address'])).trim();

    const started = Date.now();
    const listening = serverSide.exec(HELPER, ['8', 'eth0'], { timeoutMs: 15_000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const lldpd = switchSide.spawn('/usr/sbin/lldpd', ['-d', '-I', 'gi1-0-7', '-u', path.join(dir, 'lldpd.socket'), '-O', path.join(dir, 'lldpd.conf')]);
    let said = '';
    lldpd.stdout?.on('data', (chunk: Buffer) => (said += chunk.toString()));
    lldpd.stderr?.on('data', (chunk: Buffer) => (said += chunk.toString()));
    cleanups.push(async () => {
      lldpd.kill('SIGKILL');
    });
    const output = await listening;
    const seconds = (Date.now() - started) / 1000;

    const [nic, hex] = output.trim().split(' ');
    expect(nic, `lldpd said: ${said}`).toBe('eth0');
    expect(parseLldpFrame(Buffer.from(hex!, 'hex'))).toMatchObject({ chassisId: switchMac, portId: 'gi1-0-7', systemName: 'rack3-tor' });
    expect(seconds).toBeLessThan(8);
  });
});
