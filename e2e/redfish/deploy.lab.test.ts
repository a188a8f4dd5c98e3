// A lab server whose BMC answers only Redfish (sushy-tools on its BMC address, its external notifier driving the
// server's QEMU through notifier-hook.ts and chassis-control.sh), deployed by Rackboot over Redfish; then a rack of one
// IPMI server and one Redfish server found by the wizard's subnet discovery and deployed in parallel through the wizard
// in Chromium. Needs root (the lab) and ../shared/peers/sushy-tools.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOY_PHASES } from '../../shared/deploy';
import { networkArgs, ramdiskArgs, runDeployCli } from '../deploy/deploy-cli';
import { DEPLOYED_MARKER, buildTestImage, sha256OfPrefix } from '../deploy/test-image';
import { ensureKernel, SERVER_SIZED_DISK_MIB, startLab, waitForSerial, type Kernel, type Lab, type LabServer } from '../lab';
import { isRoot } from '../support/netns';
import { startRedfishBmc, type RedfishBmc } from './redfish-bmc';
import { sushyMissing } from './sushy';

const missing = isRoot() ? sushyMissing() : 'they need root (network namespaces, QEMU)';
if (missing) console.log(`Redfish deploy lab tests skipped: ${missing}.`);

async function waitForEvent(server: LabServer, pattern: RegExp, from: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const events = (await readFile(server.eventsLogPath, 'utf8').catch(() => '')).slice(from);
    if (pattern.test(events)) return;
    if (Date.now() > deadline) throw new Error(`${server.name}: no event matching ${pattern} within ${timeoutMs} ms; events:\n${events}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const eventsSize = async (server: LabServer): Promise<number> => (await readFile(server.eventsLogPath, 'utf8').catch(() => '')).length;

describe.skipIf(missing !== null)('a Redfish-only lab server deployed over Redfish', () => {
  let lab: Lab;
  let kernel: Kernel;
  let image: string;
  let dataDir: string;
  let redfish: RedfishBmc;
  let server: LabServer;

  const redfishtool = (...args: string[]): Promise<string> =>
    lab.prov.exec('redfishtool', ['-r', `${server.bmc.address}:443`, '-u', server.bmc.user, '-p', server.bmc.password, '-S', 'Always', ...args], { timeoutMs: 60_000 });

  beforeAll(async () => {
    kernel = await ensureKernel();
    image = await buildTestImage(kernel);
    lab = await startLab({ servers: 1, diskMiB: SERVER_SIZED_DISK_MIB, withoutIpmiSim: [0] });
    server = lab.servers[0]!;
    redfish = await startRedfishBmc(lab, server);
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-redfish-deploy-'));
  }, 300_000);

  afterAll(async () => {
    await redfish?.stop();
    await lab?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('boots the server from the network after a Pxe override and from disk after Hdd, when the emulator applies the reset', async () => {
    let from = await eventsSize(server);
    await redfishtool('Systems', 'setBootOverride', 'Continuous', 'Pxe');
    await redfishtool('Systems', 'reset', 'On');
    await waitForEvent(server, /power on: boot device pxe/, from);
    // The NIC's iPXE ROM runs: the server network boots (no DHCP server answers yet).
    await waitForSerial(server, /iPXE/, { timeoutMs: 60_000 });
    // The emulator shows On once its apply time passed; the hook powered QEMU at that time.
    expect(JSON.parse(await redfishtool('Systems', '-F', 'get')) as { PowerState: string }).toMatchObject({ PowerState: 'On' });

    from = await eventsSize(server);
    await redfishtool('Systems', 'setBootOverride', 'Continuous', 'Hdd');
    await redfishtool('Systems', 'reset', 'ForceRestart');
    await waitForEvent(server, /power off[\s\S]*power on: boot device default/, from);

    from = await eventsSize(server);
    await redfishtool('Systems', 'reset', 'ForceOff');
    await waitForEvent(server, /power off/, from);
  }, 120_000);

  it('deploys it with the CLI: redfish:// BMC, its certificate pinned, MAC captured, image written, booted from disk', async () => {
    const pin = redfish.sushy.pin;
    if (pin.kind !== 'pin') throw new Error('the emulator has no pinned certificate');
    const run = await runDeployCli(lab, [
      '--bmc', `redfish://${server.bmc.user}:${server.bmc.password}@${server.bmc.address}`,
      '--tls-pin', `${server.bmc.address}=${pin.sha256}`,
      '--image', image,
      ...networkArgs(lab),
      ...ramdiskArgs(kernel),
      '--data-dir', dataDir,
    ]);
    expect(run.code, run.output.slice(-4000)).toBe(0);
    const final = run.records.at(-1)!;
    expect(final.status).toBe('deployed');
    expect(final.history.map((entry) => entry.phase)).toEqual([...DEPLOY_PHASES]);
    expect(run.output).toContain(`Captured MAC ${server.mac}`);
    expect(run.output).not.toContain(server.bmc.password);
    const size = (await stat(image)).size;
    expect(await sha256OfPrefix(server.diskPath, size)).toBe(await sha256OfPrefix(image, size));
    // Reachable: the installed OS came up from disk, seen on the server's own serial port (Redfish has no console).
    await waitForSerial(server, new RegExp(DEPLOYED_MARKER), { timeoutMs: 120_000 });
    expect(await readFile(server.eventsLogPath, 'utf8')).toMatch(/power on: boot device pxe[\s\S]*power on: boot device default/);
  }, 900_000);
});
