import { closeSync, openSync } from 'node:fs';
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Netns } from '../support/netns';
import { lanConf, serverEnv, simEmu, type ServerFiles, type ServerSettings } from './bmc-config';
import { ipmitool, type BmcAccess } from './ipmitool';
import { IPMI_PORT, type Firmware, type ServerPlan } from './rack-plan';
import type { SerialSource } from './serial';
import { bootDiskOf, checkHardware, hardwareArgs, type LabDisk, type ServerHardware } from './server-hardware';

/** The simulated servers of a rack: their files, their BMCs (ipmi_sim) and the serial relay between them. */

const SERIAL_RELAY_SCRIPT = fileURLToPath(new URL('./serial-relay.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BMC_READY_TIMEOUT_MS = 15_000;

export interface LabServer extends SerialSource {
  name: string;
  bmc: BmcAccess;
  mac: string;
  uuid: string;
  /** The server NIC's tap on the rack bridge (in the rack namespace): set it down to unplug the cable. */
  tap: string;
  /** The disk the server boots from after a deploy (its only one, unless the lab gave it more hardware). */
  diskPath: string;
  /** Every disk, in the order given (one virtio disk at diskPath by default). */
  disks: LabDisk[];
  serialLogPath: string;
  /** What chassis control did (power on with boot device, off, boot device changes), one line each. */
  eventsLogPath: string;
  /**
   * TCP port on the rack namespace's loopback where ipmi_sim's SOL connects: the serial relay, which joins it to
   * QEMU's serial port (serial-relay.ts).
   */
  solPort: number;
  firmware: Firmware;
  /** ipmi_sim answers at bmc.address:623 (false: the test puts another BMC emulator there). */
  ipmiSim: boolean;
  /** The script that powers the server's QEMU on and off and sets its boot device (chassis-control.sh). */
  chassisControlPath: string;
  /** The server's files: lan.conf, server.env, qemu.log, bmc.log, boot-device. */
  dir: string;
}

/** The relay (serial-relay.ts) runs with node + tsx in the rack namespace for the lab's lifetime. */
export async function startSerialRelay(rack: Netns, servers: ServerPlan[], workDir: string): Promise<void> {
  const log = openSync(join(workDir, 'serial-relay.log'), 'a');
  const pairs = servers.map((server) => `${server.solPort}:${server.serialPort}`);
  const relay = rack.spawn(process.execPath, ['--import', 'tsx', SERIAL_RELAY_SCRIPT, ...pairs], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', log],
  });
  closeSync(log);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('The serial relay did not start within 10 s.')), 10_000);
    relay.stdout?.on('data', (chunk: Buffer) => {
      if (!chunk.toString().includes('ready')) return;
      clearTimeout(timer);
      resolve();
    });
    relay.once('exit', async (code) => {
      clearTimeout(timer);
      const said = await readFile(join(workDir, 'serial-relay.log'), 'utf8').catch(() => '');
      reject(new Error(`The serial relay exited (${code}): ${said.trim()}`));
    });
  });
  relay.stdout?.destroy();
  relay.removeAllListeners('exit');
  relay.unref();
}

export async function startServer(
  rack: Netns,
  server: ServerPlan,
  workDir: string,
  settings: ServerSettings,
  diskMiB: number,
  hardware: ServerHardware | null,
  ipmiSim = true,
): Promise<LabServer> {
  const dir = join(workDir, 'servers', server.name);
  if (hardware) checkHardware(hardware);
  const disks: LabDisk[] = hardware
    ? hardware.disks.map((spec, index) => ({ ...spec, path: join(dir, `disk${index}-${spec.bus}.raw`) }))
    : [{ bus: 'virtio', sizeMiB: diskMiB, serial: '', path: join(dir, 'disk.raw') }];
  const args = hardware ? hardwareArgs(hardware, disks) : undefined;
  const files: ServerFiles = { dir, diskPath: bootDiskOf(disks).path, serialLogPath: join(dir, 'serial.log'), hardware: args };
  await mkdir(join(dir, 'bmc-state'), { recursive: true });
  // Sparse: a server-sized disk costs only what is written to it.
  for (const spec of disks) {
    const disk = await open(spec.path, 'w');
    await disk.truncate(spec.sizeMiB * 1024 * 1024);
    await disk.close();
  }
  await writeFile(join(dir, 'lan.conf'), lanConf(server, files, settings));
  await writeFile(join(dir, 'sim.emu'), simEmu());
  await writeFile(join(dir, 'server.env'), serverEnv(server, files, settings));

  // ipmi_sim runs in the rack namespace, so the QEMU that chassis control starts lands there too.
  if (ipmiSim) {
    const log = openSync(join(dir, 'bmc.log'), 'a');
    try {
      const args = ['-c', join(dir, 'lan.conf'), '-f', join(dir, 'sim.emu'), '-s', join(dir, 'bmc-state'), '-n'];
      rack.spawn('ipmi_sim', args, { cwd: dir, detached: true, stdio: ['ignore', log, log] }).unref();
    } finally {
      closeSync(log);
    }
  }
  return {
    name: server.name,
    bmc: { address: server.bmcAddress, port: IPMI_PORT, user: server.bmcUser, password: server.bmcPassword },
    mac: server.mac,
    uuid: server.uuid,
    tap: server.tap,
    diskPath: files.diskPath,
    disks,
    serialLogPath: files.serialLogPath,
    eventsLogPath: join(dir, 'events.log'),
    solPort: server.solPort,
    firmware: settings.firmware,
    ipmiSim,
    chassisControlPath: settings.chassisControlPath,
    dir,
  };
}

/** The BMC answers an RMCP+ session from the laptop's side: the whole rack segment works. */
export async function waitForBmc(prov: Netns, server: LabServer): Promise<void> {
  const deadline = Date.now() + BMC_READY_TIMEOUT_MS;
  for (;;) {
    try {
      await ipmitool(prov, server.bmc, ['-N', '1', '-R', '1', 'chassis', 'power', 'status'], { timeoutMs: 5000 });
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        const log = await readFile(join(server.dir, 'bmc.log'), 'utf8').catch(() => '');
        throw new Error(
          `The BMC of ${server.name} (${server.bmc.address}) did not answer within ${BMC_READY_TIMEOUT_MS} ms: ` +
            `${(error as Error).message}\nipmi_sim said: ${log.trim() || '(nothing)'}`,
          { cause: error },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
