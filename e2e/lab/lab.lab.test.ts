import { spawn } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isRoot, Netns, run } from '../support/netns';
import {
  buildMarkerInitramfs,
  clientUuid,
  ensureKernel,
  ipmitool,
  plainText,
  PacketCapture,
  serialLogSize,
  serverDiagnostics,
  startLab,
  waitForSerial,
  type DhcpMessage,
  type Lab,
  type LabDescription,
  type LabServer,
} from './index';

// The lab exercised with reference tools only (ipmitool, tcpdump, dnsmasq, busybox httpd): no Rackboot code yet.
const root = isRoot();
if (!root) console.log('lab tests skipped: they need root (network namespaces, taps, ipmi_sim on port 623).');

const DISCOVER_TIMEOUT_MS = 10_000;
const DHCPDISCOVER = 1;

function discoverFrom(server: LabServer, after = 0): (message: DhcpMessage) => boolean {
  return (message) => message.messageType === DHCPDISCOVER && message.clientMac === server.mac && message.timeMs >= after;
}

/** Processes whose command line names the lab's work dir: ipmi_sim, QEMU, tcpdump, dnsmasq all do. */
async function processesMentioning(workDir: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(workDir)) found.push(`${pid}: ${cmdline.replace(/\0/g, ' ').slice(0, 120)}`);
  }
  return found;
}

async function labNamespacesLeft(lab: Lab): Promise<string[]> {
  const names = [lab.rack.name, lab.prov.name, lab.uplink.name];
  return (await Netns.list()).filter((name) => names.includes(name));
}

async function powerOnFresh(lab: Lab, server: LabServer, bootdev: 'pxe' | 'disk'): Promise<{ at: number; serialFrom: number }> {
  await lab.ipmitool(server, 'chassis', 'bootdev', bootdev);
  const serialFrom = await serialLogSize(server);
  const at = Date.now();
  await lab.ipmitool(server, 'chassis', 'power', 'on');
  return { at, serialFrom };
}

async function waitForPowerOff(lab: Lab, server: LabServer, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await lab.ipmitool(server, 'chassis', 'power', 'status')).includes('is off')) {
    if (Date.now() > deadline) throw new Error(`${server.name} is still on.\n${await serverDiagnostics(server)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function startCapture(lab: Lab, name: string): Promise<PacketCapture> {
  return PacketCapture.start(lab.prov, lab.provInterface, join(lab.workDir, `${name}.pcap`), ['udp', 'port', '67', 'or', 'udp', 'port', '68']);
}

const BOOT_MARKER = 'RACKBOOT-LAB-BOOTED';

/**
 * dnsmasq (DHCP, iPXE clients get an HTTP boot script) and busybox httpd (kernel, initramfs) in the provisioner
 * namespace. The initramfs loads the virtio NIC modules, takes a lease, prints BOOT_MARKER and powers off.
 */
async function startReferenceBootServer(lab: Lab): Promise<{ stop: () => Promise<void> }> {
  const kernel = await ensureKernel();
  const initrd = await buildMarkerInitramfs(kernel, BOOT_MARKER);
  const www = join(lab.workDir, 'www');
  await mkdir(www, { recursive: true });
  await copyFile(kernel.vmlinuzPath, join(www, 'vmlinuz'));
  await copyFile(initrd, join(www, 'initrd.gz'));
  const url = `http://${lab.provAddress}:8080`;
  await writeFile(
    join(www, 'boot.ipxe'),
    `#!ipxe\nkernel ${url}/vmlinuz initrd=initrd.gz console=ttyS0 quiet\ninitrd ${url}/initrd.gz\nboot\n`,
  );
  const httpd = lab.prov.spawn('busybox', ['httpd', '-f', '-p', `${lab.provAddress}:8080`, '-h', www], { stdio: 'ignore' });
  // Router advertisements spare iPXE its ~13 s wait for IPv6 autoconfiguration (lab-notes).
  await lab.prov.ip('addr', 'add', 'fd77::1/64', 'dev', lab.provInterface);
  const dnsmasq = lab.prov.spawn('dnsmasq', [
    '--keep-in-foreground', '--conf-file=/dev/null', '--port=0', '--user=root',
    `--interface=${lab.provInterface}`, '--bind-interfaces', `--dhcp-leasefile=${join(lab.workDir, 'dnsmasq.leases')}`,
    `--dhcp-range=${lab.dhcpPool.start},${lab.dhcpPool.end},255.255.255.0,10m`,
    '--dhcp-range=fd77::,ra-only', '--enable-ra',
    '--dhcp-match=set:ipxe,175', `--dhcp-boot=tag:ipxe,${url}/boot.ipxe`,
  ], { stdio: 'ignore' });
  return {
    stop: async () => {
      dnsmasq.kill();
      httpd.kill();
      await lab.prov.ip('addr', 'del', 'fd77::1/64', 'dev', lab.provInterface);
    },
  };
}

async function expectNetworkBoot(lab: Lab, server: LabServer, timeoutMs: number): Promise<void> {
  const { at, serialFrom } = await powerOnFresh(lab, server, 'pxe');
  const pattern = new RegExp(`${BOOT_MARKER} uuid=\\S+ ip=\\S+`);
  const [line] = await waitForSerial(server, pattern, { from: serialFrom, timeoutMs });
  console.log(`${server.firmware} power on → marker: ${Date.now() - at} ms (${line})`);
  expect(line).toContain(`uuid=${server.uuid}`);
  expect(line).toMatch(/ip=10\.77\.0\.(1[5-9]\d|2[0-4]\d|250)\//);
}

describe.skipIf(!root)('a one-server rack', () => {
  let lab: Lab;
  let server: LabServer;

  beforeAll(async () => {
    lab = await startLab({ servers: 1 });
    server = lab.servers[0]!;
  });
  afterAll(async () => {
    await lab?.stop();
  });
  afterEach(async () => {
    await lab.ipmitool(server, 'chassis', 'power', 'off');
  });

  it('turns the server on and off through ipmitool lanplus -C 3 and reports the power state', async () => {
    expect(await lab.ipmitool(server, 'chassis', 'power', 'status')).toContain('Chassis Power is off');
    await lab.ipmitool(server, 'chassis', 'power', 'on');
    expect(await lab.ipmitool(server, 'chassis', 'power', 'status')).toContain('Chassis Power is on');
    await lab.ipmitool(server, 'chassis', 'power', 'off');
    expect(await lab.ipmitool(server, 'chassis', 'power', 'status')).toContain('Chassis Power is off');
  });

  it('refuses a wrong BMC password', async () => {
    const wrong = { ...server, bmc: { ...server.bmc, password: 'not-the-password' } };
    await expect(lab.ipmitool(wrong, 'chassis', 'power', 'status')).rejects.toThrow(/RAKP|session|Unable/i);
  });

  it('reports the server UUID (QEMU -uuid) as the BMC System GUID', async () => {
    const guid = /System GUID\s*:\s*(\S+)/.exec(await lab.ipmitool(server, 'mc', 'guid'))?.[1];
    expect(guid).toBe(server.uuid);
  });

  it('stores bootdev pxe and bootdev disk as the boot device selector', async () => {
    await lab.ipmitool(server, 'chassis', 'bootdev', 'pxe');
    expect(await lab.ipmitool(server, 'chassis', 'bootparam', 'get', '5')).toContain('Force PXE');
    await lab.ipmitool(server, 'chassis', 'bootdev', 'disk');
    expect(await lab.ipmitool(server, 'chassis', 'bootparam', 'get', '5')).toContain('Force Boot from default Hard-Drive');
  });

  it(`sends a DHCPDISCOVER with its MAC and its UUID in option 97 within ${DISCOVER_TIMEOUT_MS / 1000} s of power on with bootdev pxe`, async () => {
    const capture = await startCapture(lab, 'discover');
    try {
      const { at } = await powerOnFresh(lab, server, 'pxe');
      const discover = await capture.waitForDhcp(discoverFrom(server), DISCOVER_TIMEOUT_MS, `DHCPDISCOVER from ${server.mac}`);
      expect(clientUuid(discover)).toBe(server.uuid);
      console.log(`power on → DHCPDISCOVER: ${Math.round(discover.timeMs - at)} ms`);
    } finally {
      await capture.stop();
    }
  });

  it('uses a bootdev override for one power-on only, then boots from disk', async () => {
    const capture = await startCapture(lab, 'one-shot');
    try {
      await powerOnFresh(lab, server, 'pxe');
      await capture.waitForDhcp(discoverFrom(server), DISCOVER_TIMEOUT_MS, `DHCPDISCOVER from ${server.mac}`);
      expect(await lab.ipmitool(server, 'chassis', 'bootparam', 'get', '5')).toContain('Force Boot from default Hard-Drive');
      await lab.ipmitool(server, 'chassis', 'power', 'off');

      const serialFrom = await serialLogSize(server);
      const secondPowerOn = Date.now();
      await lab.ipmitool(server, 'chassis', 'power', 'on');
      await waitForSerial(server, /No bootable device/, { from: serialFrom, timeoutMs: 20_000 });
      expect((await capture.dhcpMessages()).filter(discoverFrom(server, secondPowerOn))).toEqual([]);
    } finally {
      await capture.stop();
    }
  });

  // A cycle is ipmi_sim's own power off, 1 s, power on; a reset restarts QEMU at once. Both read the boot device anew.
  it.each(['cycle', 'reset'])('boots from the boot device set while running on a power %s', async (action) => {
    const capture = await startCapture(lab, action);
    try {
      const { serialFrom } = await powerOnFresh(lab, server, 'disk');
      await waitForSerial(server, /Booting from Hard Disk/, { from: serialFrom, timeoutMs: 20_000 });
      await lab.ipmitool(server, 'chassis', 'bootdev', 'pxe');
      const restartedAt = Date.now();
      await lab.ipmitool(server, 'chassis', 'power', action);
      const timeoutMs = DISCOVER_TIMEOUT_MS + 2000;
      await capture.waitForDhcp(discoverFrom(server, restartedAt), timeoutMs, `DHCPDISCOVER after the ${action}`);
    } finally {
      await capture.stop();
    }
  });

  it('streams the serial console over SOL from the start of a power-on (ipmitool sol activate)', async () => {
    const bmc = server.bmc;
    // ipmitool's SOL needs a terminal on stdin: script(1) gives it one. timeout ends the session; --foreground keeps
    // ipmitool in the terminal's process group, or it is stopped (SIGTTOU) when it sets the terminal to raw mode.
    const sol = `timeout --foreground 5 ipmitool -I lanplus -C 3 -H ${bmc.address} -U ${bmc.user} -E sol activate; true`;
    const session = lab.prov.exec('script', ['-qc', sol, '/dev/null'], {
      env: { ...process.env, IPMI_PASSWORD: bmc.password },
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await powerOnFresh(lab, server, 'pxe');
    const seen = plainText(await session);
    expect(seen).toContain('SOL Session operational');
    expect(seen).toMatch(/iPXE/);
  });

  it('records DHCP that leaves the laptop through its uplink', async () => {
    const before = Date.now();
    // -s /bin/true: only the DISCOVER matters, wlan0 keeps its address.
    await lab.prov.exec('busybox', ['udhcpc', '-i', lab.uplinkInterface, '-n', '-q', '-t', '1', '-T', '1', '-s', '/bin/true']).catch(() => '');
    const leaked = (await lab.uplinkDhcpMessages()).filter((message) => message.timeMs >= before);
    expect(leaked.map((message) => message.messageType)).toContain(DHCPDISCOVER);
  });

  describe('with a reference dnsmasq and busybox httpd in the provisioner namespace', () => {
    let bootServer: { stop: () => Promise<void> } | undefined;

    beforeAll(async () => {
      bootServer = await startReferenceBootServer(lab);
    });
    afterAll(async () => {
      await bootServer?.stop();
    });

    it('boots kernel and busybox initramfs from the network, prints the marker on its serial log, and powers off', async () => {
      const startedAt = Date.now();
      await expectNetworkBoot(lab, server, 90_000);
      await waitForPowerOff(lab, server, 15_000);
      expect((await lab.uplinkDhcpMessages()).filter((message) => message.timeMs >= startedAt)).toEqual([]);
    });

    it('does not PXE boot with bootdev disk', async () => {
      const capture = await startCapture(lab, 'disk');
      try {
        const { at, serialFrom } = await powerOnFresh(lab, server, 'disk');
        await waitForSerial(server, /No bootable device/, { from: serialFrom, timeoutMs: 20_000 });
        expect((await capture.dhcpMessages()).filter(discoverFrom(server, at))).toEqual([]);
      } finally {
        await capture.stop();
      }
    });
  });
});

describe.skipIf(!root)('a three-server rack', () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await startLab({ servers: 3 });
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it('gives every server its own BMC address, credentials, MAC and UUID', async () => {
    const distinct = (values: string[]): number => new Set(values).size;
    expect(distinct(lab.servers.map((server) => server.bmc.address))).toBe(3);
    expect(distinct(lab.servers.map((server) => server.bmc.user))).toBe(3);
    expect(distinct(lab.servers.map((server) => server.mac))).toBe(3);
    expect(distinct(lab.servers.map((server) => server.uuid))).toBe(3);
    for (const server of lab.servers) {
      expect(await lab.ipmitool(server, 'mc', 'guid')).toContain(server.uuid);
    }
  });

  it('powers each server on its own: the DISCOVER carries that server\'s MAC and UUID', async () => {
    const capture = await startCapture(lab, 'three');
    try {
      // One VM at a time: the CI machines have two cores.
      for (const server of lab.servers) {
        const { at } = await powerOnFresh(lab, server, 'pxe');
        const others = lab.servers.filter((other) => other !== server);
        for (const other of others) {
          expect(await lab.ipmitool(other, 'chassis', 'power', 'status')).toContain('is off');
        }
        const discover = await capture.waitForDhcp(discoverFrom(server, at), DISCOVER_TIMEOUT_MS, `DHCPDISCOVER from ${server.mac}`);
        expect(clientUuid(discover)).toBe(server.uuid);
        await lab.ipmitool(server, 'chassis', 'power', 'off');
      }
    } finally {
      await capture.stop();
    }
  });

  it('leaves no namespace, process or file behind when stopped', async () => {
    await lab.ipmitool(lab.servers[0]!, 'chassis', 'power', 'on');
    await lab.stop();
    expect(await labNamespacesLeft(lab)).toEqual([]);
    expect(await processesMentioning(lab.workDir)).toEqual([]);
    await expect(readdir(lab.workDir)).rejects.toThrow(/ENOENT/);
  });
});

describe.skipIf(!root)('a process that ends without stopping its lab', () => {
  it('takes the lab down on a plain exit (a test run that fails or forgets lab.stop())', async () => {
    const index = join(import.meta.dirname, 'index.ts');
    const script = `import { startLab } from '${index}'; console.log((await startLab({ servers: 1 })).workDir); process.exit(0);`;
    const workDir = (await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script])).trim();
    expect(workDir).toMatch(/rackboot-lab-[0-9a-f]{6}$/);
    expect((await Netns.list()).filter((name) => name.startsWith(`rbl-${workDir.slice(-6)}-`))).toEqual([]);
    expect(await processesMentioning(workDir)).toEqual([]);
  });

  it('takes the lab down on Ctrl-C before the process exits', async () => {
    // Its own process group, like a job in a terminal: Ctrl-C there signals exactly that group.
    const cli = spawn(join(process.cwd(), 'node_modules/.bin/tsx'), [join(import.meta.dirname, 'cli.ts'), 'up', '--servers', '1', '--foreground'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    cli.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    let stderr = '';
    cli.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => cli.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    while (!stderr.includes('Ctrl-C removes it')) {
      if (Date.now() > deadline) throw new Error(`lab up --foreground did not come up: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const described = JSON.parse(stdout) as LabDescription;
    await ipmitool(Netns.existing(described.namespaces.prov), described.servers[0]!.bmc, ['chassis', 'power', 'on']);

    process.kill(-cli.pid!, 'SIGINT');
    expect(await exited).toBe(130);
    const names = Object.values(described.namespaces);
    expect((await Netns.list()).filter((name) => names.includes(name))).toEqual([]);
    expect(await processesMentioning(described.workDir)).toEqual([]);
  });
});

describe.skipIf(!root)('a rack whose BMCs keep boot overrides (persistentBootDevice)', () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await startLab({ servers: 1, persistentBootDevice: true });
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it('still boots from the override after a power-on has used it', async () => {
    const server = lab.servers[0]!;
    await powerOnFresh(lab, server, 'pxe');
    await lab.ipmitool(server, 'chassis', 'power', 'off');
    expect(await lab.ipmitool(server, 'chassis', 'bootparam', 'get', '5')).toContain('Force PXE');
  });
});

describe.skipIf(!root)('a UEFI server', () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await startLab({ servers: 1, firmware: 'uefi' });
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it('boots kernel and busybox initramfs from the network through OVMF and iPXE', async () => {
    const bootServer = await startReferenceBootServer(lab);
    try {
      await expectNetworkBoot(lab, lab.servers[0]!, 120_000);
    } finally {
      await bootServer.stop();
      await lab.ipmitool(lab.servers[0]!, 'chassis', 'power', 'off');
    }
  });

  it('PXE boots through OVMF: the DISCOVER names the x86-64 UEFI architecture (option 93 = 7) and the UUID', async () => {
    const server = lab.servers[0]!;
    const capture = await startCapture(lab, 'uefi');
    try {
      const { at } = await powerOnFresh(lab, server, 'pxe');
      const discover = await capture.waitForDhcp(discoverFrom(server), 30_000, `DHCPDISCOVER from ${server.mac}`);
      console.log(`UEFI power on → DHCPDISCOVER: ${Math.round(discover.timeMs - at)} ms`);
      expect(discover.options.get(93)?.readUInt16BE(0)).toBe(7);
      expect(clientUuid(discover)).toBe(server.uuid);
    } finally {
      await capture.stop();
      await lab.ipmitool(server, 'chassis', 'power', 'off');
    }
  });
});
