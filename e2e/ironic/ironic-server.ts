import { createHash } from 'node:crypto';
import { existsSync, openSync, closeSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import type { ChildProcess } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { run, type Netns } from '../support/netns';

/**
 * A real, standalone OpenStack Ironic from Debian's packages (ironic-api, ironic-conductor), for the lab: sqlite,
 * JSON-RPC between API and conductor, hardware types ipmi, redfish and fake-hardware. Two API processes share the
 * conductor: one with `noauth`, one with `http_basic` (an htpasswd file with bcrypt hashes, as Ironic requires).
 * Everything runs in the given namespace (the lab's laptop), so Ironic's own ipmitool reaches the lab's BMCs.
 */

export const IRONIC_BINARIES = ['ironic-api', 'ironic-conductor', 'ironic-dbsync', 'baremetal'];

export interface IronicServer {
  /** The noauth API, like http://127.0.0.1:16385 (inside the namespace). */
  noauthUrl: string;
  /** The http_basic API; `basicUser` / `basicPassword` sign in. */
  basicUrl: string;
  basicUser: string;
  basicPassword: string;
  dir: string;
  /** Seconds from starting the processes to both APIs answering. */
  startSeconds: number;
  /** Runs the real client (`baremetal …`, python-ironicclient) against the noauth API in the namespace. */
  baremetal(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export function ironicInstalled(): boolean {
  return IRONIC_BINARIES.every((binary) => existsSync(`/usr/bin/${binary}`));
}

interface Ports {
  noauth: number;
  basic: number;
  jsonRpc: number;
}

function config(dir: string, auth: 'noauth' | 'http_basic', apiPort: number, ports: Ports): string {
  return `[DEFAULT]
auth_strategy = ${auth}
http_basic_auth_user_file = ${join(dir, 'htpasswd')}
enabled_hardware_types = ipmi,redfish,fake-hardware
enabled_power_interfaces = ipmitool,redfish,fake
enabled_management_interfaces = ipmitool,redfish,fake
enabled_boot_interfaces = fake,pxe
enabled_deploy_interfaces = fake,direct
enabled_inspect_interfaces = no-inspect
enabled_network_interfaces = noop
enabled_console_interfaces = no-console
enabled_bios_interfaces = no-bios
enabled_raid_interfaces = no-raid
enabled_vendor_interfaces = no-vendor
rpc_transport = json-rpc
host = localhost
log_dir = ${dir}
[api]
host_ip = 127.0.0.1
port = ${apiPort}
api_workers = 1
[database]
connection = sqlite:///${join(dir, 'ironic.sqlite')}
[json_rpc]
auth_strategy = noauth
host_ip = 127.0.0.1
port = ${ports.jsonRpc}
[dhcp]
dhcp_provider = none
[conductor]
automated_clean = false
sync_power_state_interval = -1
[ipmi]
# A wrong password is reported after this long instead of Ironic's default minute of retries.
command_retry_timeout = 10
[oslo_concurrency]
lock_path = ${join(dir, 'lock')}
`;
}

/** The schema ironic-dbsync makes, cached by Ironic's version: later runs copy it (ironic-dbsync takes ~10 s here). */
async function database(dir: string, configPath: string): Promise<void> {
  const version = (await run('dpkg-query', ['-W', '-f=${Version}', 'python3-ironic'])).trim();
  const key = createHash('sha256').update(`ironic ${version} sqlite create_schema`).digest('hex').slice(0, 16);
  const cacheDir = join(process.env.RACKBOOT_CACHE ?? join(homedir(), '.cache', 'rackboot'), 'ironic', key);
  const cached = join(cacheDir, 'ironic.sqlite');
  if (!existsSync(cached)) {
    await run('ironic-dbsync', ['--config-file', configPath, 'create_schema'], { timeoutMs: 180_000 });
    await mkdir(cacheDir, { recursive: true });
    await copyFile(join(dir, 'ironic.sqlite'), `${cached}.tmp`);
    await rename(`${cached}.tmp`, cached);
  } else {
    await copyFile(cached, join(dir, 'ironic.sqlite'));
  }
}

/** Free-enough ports: each run picks its own, so two Ironics (a test and the benchmark) do not meet. */
function pickPorts(): Ports {
  const base = 20000 + Math.floor(Math.random() * 20000);
  return { noauth: base, basic: base + 1, jsonRpc: base + 2 };
}

export async function startIronic(ns: Netns, dir: string): Promise<IronicServer> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, 'lock'), { recursive: true });
  const ports = pickPorts();
  const basicUser = 'rackboot';
  const basicPassword = `pw-${Math.random().toString(36).slice(2, 12)}`;
  const hash = (
    await run('/usr/bin/python3', ['-c', 'import bcrypt,sys; print(bcrypt.hashpw(sys.argv[1].encode(), bcrypt.gensalt(4)).decode())', basicPassword])
  ).trim();
  await writeFile(join(dir, 'htpasswd'), `${basicUser}:${hash}\n`, { mode: 0o600 });
  const noauthConfig = join(dir, 'ironic-noauth.conf');
  const basicConfig = join(dir, 'ironic-basic.conf');
  await writeFile(noauthConfig, config(dir, 'noauth', ports.noauth, ports));
  await writeFile(basicConfig, config(dir, 'http_basic', ports.basic, ports));
  await database(dir, noauthConfig);

  const started = Date.now();
  const processes: ChildProcess[] = [];
  const launch = (program: string, configPath: string, logName: string): void => {
    const log = openSync(join(dir, logName), 'a');
    processes.push(ns.spawn(program, ['--config-file', configPath], { stdio: ['ignore', log, log], detached: true, env: serviceEnvironment() }));
    closeSync(log);
  };
  launch('ironic-conductor', noauthConfig, 'conductor.out');
  launch('ironic-api', noauthConfig, 'api-noauth.out');
  launch('ironic-api', basicConfig, 'api-basic.out');

  const stop = async (): Promise<void> => {
    for (const child of processes) {
      if (child.pid !== undefined && child.exitCode === null) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const child of processes) {
      if (child.pid !== undefined && child.exitCode === null) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  };
  const noauthUrl = `http://127.0.0.1:${ports.noauth}`;
  const basicUrl = `http://127.0.0.1:${ports.basic}`;
  const env = { ...process.env, OS_AUTH_TYPE: 'none', OS_ENDPOINT: noauthUrl, OS_BAREMETAL_API_VERSION: 'latest' };
  const baremetal = (...args: string[]): Promise<string> => ns.exec('baremetal', args, { env, timeoutMs: 600_000 });
  try {
    await waitUntilReady(ns, dir, noauthUrl, processes);
    await waitUntilReady(ns, dir, basicUrl, processes);
    // The API answers before the conductor has registered its drivers; a driver list proves both are up.
    const deadline = Date.now() + 90_000;
    while (!(await baremetal('driver', 'list', '-f', 'value', '-c', 'Supported driver(s)').catch(() => '')).includes('ipmi')) {
      if (Date.now() > deadline) throw new Error(`ironic-conductor did not register its drivers within 90 s: ${await tail(dir, 'conductor.out')}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { noauthUrl, basicUrl, basicUser, basicPassword, dir, startSeconds: (Date.now() - started) / 1000, baremetal, stop };
}

/**
 * The environment of Ironic's processes: this one's, less the CA bundle variables a developer's shell may set
 * (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE). python3-requests lets them override a session's `verify=False`, so with them a
 * node's `redfish_verify_ca: false` is ignored and Ironic refuses the BMC's self-signed certificate; a service started
 * by systemd has neither.
 */
function serviceEnvironment(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['REQUESTS_CA_BUNDLE'];
  delete env['CURL_CA_BUNDLE'];
  return env;
}

async function waitUntilReady(ns: Netns, dir: string, url: string, processes: ChildProcess[]): Promise<void> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const dead = processes.find((child) => child.exitCode !== null);
    if (dead) throw new Error(`${dead.spawnargs.join(' ')} exited (${dead.exitCode}): ${await tail(dir, 'conductor.out')} ${await tail(dir, 'api-noauth.out')}`);
    const answer = await ns.exec('curl', ['-s', '-m', '2', `${url}/`], { timeoutMs: 5000 }).catch(() => '');
    if (answer.includes('"versions"')) return;
    if (Date.now() > deadline) throw new Error(`Ironic's API at ${url} did not answer within 90 s`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

async function tail(dir: string, name: string): Promise<string> {
  const text = await readFile(join(dir, name), 'utf8').catch(() => '');
  return text.split('\n').slice(-15).join('\n');
}
