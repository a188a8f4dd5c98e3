import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverBmcs } from '../../electron/ipmi/discovery';

/** ipmi_sim (OpenIPMI) instances on loopback for IPMI tests: one BMC per port, state in a temp folder. */

export interface SimUser {
  readonly name: string;
  readonly password: string;
  readonly privilege: 'admin' | 'operator' | 'user';
  readonly maxSessions?: number;
}

export interface SimOptions {
  readonly address?: string;
  readonly port: number;
  readonly users?: readonly SimUser[];
  /** 32 hex digits, the System GUID as Get System GUID returns its bytes. */
  readonly guid?: string;
  /** Power and boot device through a script that keeps them in files (ipmi_sim needs one for chassis control). */
  readonly chassisControl?: boolean;
  /** ipmi_sim connects its SOL port to this loopback TCP port (a test server plays the serial line). */
  readonly solPort?: number;
}

export interface SimInstance {
  readonly address: string;
  readonly port: number;
  readonly dir: string;
  /** Power state the chassis control script holds: '1' on, '0' off. */
  power(): Promise<string>;
  /** Boot device the chassis control script holds, as ipmi_sim names it (pxe, default, cdrom, bios, none). */
  bootDevice(): Promise<string>;
  /** Stops the simulator and starts it again on the same port: every session it knew is gone. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export const DEFAULT_USERS: readonly SimUser[] = [
  { name: 'root', password: 'password', privilege: 'admin' },
  { name: 'op', password: 'oppass', privilege: 'operator' },
  { name: 'viewer', password: 'viewpass', privilege: 'user' },
];

/**
 * A random port range for one test file, so concurrent files and old runs do not collide. It stays below
 * Linux's ephemeral range (32768+), where the clients' own sockets would take ports first.
 */
export function randomPortBase(span = 100): number {
  return 20_000 + Math.floor(Math.random() * Math.floor(12_000 / span)) * span;
}

const CHASSIS_SCRIPT = `#!/bin/sh
# Test chassis: "set KEY VALUE" stores, "get KEY..." prints KEY:VALUE lines, state beside this script.
d="\${0%/*}"
case "$1" in
  set) printf '%s\\n' "$3" > "$d/$2" ;;
  get) shift; for k in "$@"; do v=0; [ -f "$d/$k" ] && read -r v < "$d/$k"; echo "$k:$v"; done ;;
esac
`;

const EMULATOR_COMMANDS = `mc_setbmc 0x20
mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr
mc_enable 0x20
`;

function lanConf(options: SimOptions, dir: string): string {
  const users = (options.users ?? DEFAULT_USERS)
    .map((user, index) => `  user ${index + 2} true "${user.name}" "${user.password}" ${user.privilege} ${user.maxSessions ?? 10} none md2 md5 straight`)
    .join('\n');
  return [
    'name "rackboot-test"',
    'set_working_mc 0x20',
    '  startlan 1',
    `    addr ${options.address ?? '127.0.0.1'} ${options.port}`,
    '    priv_limit admin',
    ...['callback', 'user', 'operator', 'admin'].map((level) => `    allowed_auths_${level} none md2 md5 straight`),
    `    guid ${options.guid ?? 'a123456789abcdefa123456789abcdef'}`,
    '  endlan',
    options.chassisControl === false ? '' : `  chassis_control "${join(dir, 'chassis.sh')}"`,
    users,
    options.solPort ? `  sol "tcp:127.0.0.1:${options.solPort}" 115200` : '',
    '',
  ].join('\n');
}

async function waitUntilAnswering(address: string, port: number, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (exited()) throw new Error(`ipmi_sim for ${address}:${port} exited at start (port in use?)`);
    const found = await discoverBmcs([address], { port, timeoutMs: 100, retries: 0 });
    if (found.length > 0) return;
  }
  throw new Error(`ipmi_sim on ${address}:${port} did not start answering within 10 s`);
}

export async function startIpmiSim(options: SimOptions): Promise<SimInstance> {
  const dir = await mkdtemp(join(tmpdir(), 'rackboot-ipmi-sim-'));
  const address = options.address ?? '127.0.0.1';
  await mkdir(join(dir, 'state'));
  await writeFile(join(dir, 'chassis.sh'), CHASSIS_SCRIPT);
  await chmod(join(dir, 'chassis.sh'), 0o755);
  await writeFile(join(dir, 'power'), '0\n');
  await writeFile(join(dir, 'lan.conf'), lanConf(options, dir));
  await writeFile(join(dir, 'sim.emu'), EMULATOR_COMMANDS);
  let child: ChildProcess | null = null;

  const start = async () => {
    const sim = spawn('ipmi_sim', ['-c', join(dir, 'lan.conf'), '-f', join(dir, 'sim.emu'), '-s', join(dir, 'state'), '-n'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    sim.stderr?.resume();
    sim.once('error', () => undefined);
    child = sim;
    await waitUntilAnswering(address, options.port, () => sim.exitCode !== null || sim.signalCode !== null);
  };
  const stopProcess = async () => {
    const sim = child;
    child = null;
    if (!sim || sim.exitCode !== null) return;
    const exited = new Promise((resolve) => sim.once('exit', resolve));
    sim.kill('SIGTERM');
    const timer = setTimeout(() => sim.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await start();
  } catch (error) {
    await stopProcess();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const readState = async (name: string) => (await readFile(join(dir, name), 'utf8').catch(() => '')).trim();
  return {
    address,
    port: options.port,
    dir,
    power: () => readState('power'),
    bootDevice: () => readState('boot'),
    async restart() {
      await stopProcess();
      await start();
    },
    async stop() {
      await stopProcess();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Starts several simulators side by side; if one fails, the ones already started are stopped. */
export async function startIpmiSims(options: readonly SimOptions[]): Promise<SimInstance[]> {
  const started: SimInstance[] = [];
  try {
    for (const option of options) started.push(await startIpmiSim(option));
    return started;
  } catch (error) {
    await Promise.all(started.map((sim) => sim.stop()));
    throw error;
  }
}

/** Lab tests skip with one line when the tools they drive are not installed. */
export function missingTools(): string | null {
  const missing = ['ipmi_sim', 'ipmitool'].filter(
    (tool) => !['/usr/bin', '/usr/local/bin', '/usr/sbin'].some((folder) => existsSync(join(folder, tool))),
  );
  return missing.length > 0 ? `${missing.join(' and ')} not installed (apt-get install openipmi ipmitool)` : null;
}
