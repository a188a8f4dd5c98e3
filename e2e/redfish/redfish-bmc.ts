import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Lab, LabServer } from '../lab';
import { startSushy, type Sushy } from './sushy';

/**
 * A lab server whose BMC answers only Redfish: sushy-tools on the server's BMC address, port 443, over TLS with the
 * server's BMC user and password, and its external notifier pointed at notifier-hook.ts, which powers the server's
 * QEMU and sets its boot device through chassis-control.sh as ipmi_sim does for IPMI servers. Start the lab with
 * `withoutIpmiSim` for this server, so nothing answers on 623 there. Both processes live in the rack namespace: the
 * lab's teardown ends them with everything else there.
 */

const HOOK_SCRIPT = fileURLToPath(new URL('./notifier-hook.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** On the rack namespace's loopback; one hook per server, so one port per server. */
const HOOK_PORT_BASE = 9300;

export interface RedfishBmc {
  sushy: Sushy;
  server: LabServer;
  stop(): Promise<void>;
}

export async function startRedfishBmc(lab: Lab, server: LabServer): Promise<RedfishBmc> {
  if (server.ipmiSim) throw new Error(`${server.name} has ipmi_sim on its BMC address: start the lab with withoutIpmiSim for it`);
  const hookPort = HOOK_PORT_BASE + lab.servers.indexOf(server);
  const logPath = join(server.dir, 'redfish-hook.log');
  const log = openSync(logPath, 'a');
  const hook = lab.rack.spawn(process.execPath, ['--import', 'tsx', HOOK_SCRIPT, String(hookPort), server.dir, server.chassisControlPath], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', log],
  });
  closeSync(log);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('The Redfish notifier hook did not start within 15 s.')), 15_000);
    hook.stdout?.on('data', (chunk: Buffer) => {
      if (!chunk.toString().includes('ready')) return;
      clearTimeout(timer);
      resolve();
    });
    hook.once('exit', async (code) => {
      clearTimeout(timer);
      reject(new Error(`The Redfish notifier hook exited (${code}): ${(await readFile(logPath, 'utf8').catch(() => '')).trim()}`));
    });
  });
  hook.stdout?.destroy();
  hook.removeAllListeners('exit');
  hook.unref();
  const sushy = await startSushy({
    listenIp: server.bmc.address,
    port: 443,
    user: server.bmc.user,
    password: server.bmc.password,
    systems: [{ uuid: server.uuid, name: server.name, mac: server.mac }],
    notifierUrl: `http://127.0.0.1:${hookPort}`,
    netns: lab.rack,
  });
  return {
    sushy,
    server,
    stop: async () => {
      await sushy.stop();
      if (hook.pid && hook.exitCode === null) hook.kill('SIGTERM');
    },
  };
}
