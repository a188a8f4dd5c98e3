// Runs sushy-tools (OpenStack's Redfish BMC emulator, from ../shared/peers/sushy-tools) with Debian's python3: its
// fake-systems driver, TLS with a self-signed certificate made here by openssl, an auth file (bcrypt cost 4: the
// emulator checks it on every request), its own state dir, and the external notifier pointed at `notifierUrl`.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TlsTrust } from '../../shared/redfish';
import { describeCertificate } from '../../electron/redfish/tls';
import type { Netns } from '../support/netns';

export const SUSHY_DIR = path.resolve('../shared/peers/sushy-tools');
const PYTHON = '/usr/bin/python3';

/** Why the emulator cannot run here, or null. */
export function sushyMissing(): string | null {
  if (!existsSync(path.join(SUSHY_DIR, 'sushy_tools'))) return `${SUSHY_DIR} is absent`;
  try {
    execFileSync(PYTHON, ['-c', 'import flask, tenacity, bcrypt, webob, requests'], { stdio: 'ignore' });
  } catch {
    return 'Debian python3-flask / python3-tenacity / python3-bcrypt / python3-webob are missing (scripts/install-debian-packages.sh)';
  }
  return null;
}

export interface FakeSystem {
  uuid: string;
  name: string;
  mac: string;
  powerState?: 'On' | 'Off';
}

export interface SushyOptions {
  listenIp: string;
  port: number;
  systems: FakeSystem[];
  user: string;
  password: string;
  notifierUrl?: string;
  /** Runs the emulator in this namespace (the lab's rack); the host's otherwise. */
  netns?: Netns;
  /** Reuse this certificate and key (to restart the same BMC); a new pair otherwise. */
  certificate?: { certPath: string; keyPath: string };
  /** How long Python may take to start it (default 20 s; many at once on a loaded machine take longer). */
  startLimitMs?: number;
}

export interface Sushy {
  url: string;
  certPath: string;
  keyPath: string;
  pin: TlsTrust;
  workDir: string;
  /** The emulator's process (inside the namespace, when one was given), e.g. to read the CPU time it spent. */
  pid: number | undefined;
  log(): string;
  stop(): Promise<void>;
}

/** A self-signed certificate for the address, as a BMC makes at first boot. */
export function makeCertificate(dir: string, address: string, name = 'bmc'): { certPath: string; keyPath: string } {
  const certPath = path.join(dir, `${name}.crt`);
  const keyPath = path.join(dir, `${name}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '30', '-subj', `/O=Rackboot lab/CN=${address}`, '-addext', `subjectAltName=IP:${address}`], { stdio: 'ignore' });
  return { certPath, keyPath };
}

export function pinOf(certPath: string): TlsTrust {
  return { kind: 'pin', ...describeCertificate(new X509Certificate(readFileSync(certPath)).raw) };
}

export async function startSushy(options: SushyOptions): Promise<Sushy> {
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-sushy-'));
  const { certPath, keyPath } = options.certificate ?? makeCertificate(workDir, options.listenIp);
  const htpasswd = execFileSync(PYTHON, ['-c', 'import bcrypt,sys; print(sys.argv[1] + ":" + bcrypt.hashpw(sys.argv[2].encode(), bcrypt.gensalt(rounds=4)).decode())', options.user, options.password], { encoding: 'utf8' });
  await writeFile(path.join(workDir, 'htpasswd'), htpasswd);
  const systems = options.systems.map((system) => ({
    uuid: system.uuid,
    name: system.name,
    power_state: system.powerState ?? 'Off',
    external_notifier: Boolean(options.notifierUrl),
    nics: [{ mac: system.mac, ip: '0.0.0.0' }],
  }));
  const config = [
    `SUSHY_EMULATOR_LISTEN_IP = ${JSON.stringify(options.listenIp)}`,
    `SUSHY_EMULATOR_LISTEN_PORT = ${options.port}`,
    'SUSHY_EMULATOR_FAKE_DRIVER = True',
    `SUSHY_EMULATOR_FAKE_SYSTEMS = ${JSON.stringify(systems).replaceAll('true', 'True').replaceAll('false', 'False')}`,
    `EXTERNAL_NOTIFICATION_URL = ${JSON.stringify(options.notifierUrl ?? 'http://127.0.0.1:9')}`,
    `SUSHY_EMULATOR_AUTH_FILE = ${JSON.stringify(path.join(workDir, 'htpasswd'))}`,
    `SUSHY_EMULATOR_STATE_DIR = ${JSON.stringify(path.join(workDir, 'state'))}`,
  ].join('\n');
  await writeFile(path.join(workDir, 'conf.py'), `${config}\n`);
  const args = ['-m', 'sushy_tools.emulator.main', '--config', path.join(workDir, 'conf.py'), '--ssl-certificate', certPath, '--ssl-key', keyPath];
  const env = { ...process.env, PBR_VERSION: '1.0.0', PYTHONPATH: SUSHY_DIR, PYTHONDONTWRITEBYTECODE: '1' };
  const child: ChildProcess = options.netns
    ? options.netns.spawn('env', [...['PBR_VERSION=1.0.0', `PYTHONPATH=${SUSHY_DIR}`, 'PYTHONDONTWRITEBYTECODE=1'], PYTHON, ...args])
    : spawn(PYTHON, args, { env, stdio: 'pipe' });
  let log = '';
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `https://${options.listenIp}:${options.port}`;
  const startLimitMs = options.startLimitMs ?? 20_000;
  const deadline = Date.now() + startLimitMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`sushy-tools exited: ${log.slice(-2000)}`);
    if (/Running on|Debugger|Press CTRL\+C/.test(log)) break;
    if (Date.now() > deadline) throw new Error(`sushy-tools did not start in ${startLimitMs / 1000} s: ${log.slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    certPath,
    keyPath,
    pin: pinOf(certPath),
    workDir,
    pid: child.pid,
    log: () => log,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      await rm(workDir, { recursive: true, force: true });
    },
  };
}
