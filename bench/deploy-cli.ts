import { execFile } from 'node:child_process';
import { stat, truncate } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { DEPLOY_PHASES, deployRecordSchema, type DeployRecord } from '../shared/deploy';
import type { Lab, LabServer } from '../e2e/lab';

const CLI = path.resolve('dist/electron/cli.mjs');
const execFileAsync = promisify(execFile);

/**
 * Builds what `rackboot deploy` runs from this tree: the agent's static helpers (and the addons), the CLI, and the
 * built-in ramdisk it deploys with (cached by its inputs). The native build must succeed: a deploy needs the helpers.
 */
export async function buildDeployCli(): Promise<void> {
  await execFileAsync(process.execPath, ['scripts/build-native.mjs'], { env: { ...process.env, RACKBOOT_REQUIRE_NATIVE: '1' } });
  await execFileAsync(process.execPath, ['scripts/build-main.mjs']);
  await execFileAsync('npx', ['tsx', 'scripts/build-ramdisk.ts']);
}

export interface TimedDeploy {
  code: number;
  /** Wall clock (ms since the epoch) when the CLI process was started. */
  spawnedAt: number;
  /** The last record of each node. */
  finals: DeployRecord[];
  output: string;
}

/** hardware_info lines as DevStack writes them: BMC address, MAC, user, password; the MAC spares the capture. */
export function hardwareInfo(servers: LabServer[]): string {
  return servers.map((server) => `${server.bmc.address} ${server.mac} ${server.bmc.user} ${server.bmc.password}\n`).join('');
}

/**
 * `rackboot deploy --json` in the lab's laptop namespace, with the built-in deploy ramdisk (no ramdisk option, as a
 * technician runs it); the records carry the timestamps we measure with.
 */
export function timedDeploy(lab: Lab, options: { hwinfo: string; image: string; dataDir: string }): Promise<TimedDeploy> {
  const args = [
    CLI, 'deploy', '--json',
    '--hwinfo', options.hwinfo,
    '--image', options.image,
    '--interface', lab.provInterface,
    '--address', `${lab.provAddress}/${lab.prefixLength}`,
    '--mode', 'full',
    '--pool', `${lab.dhcpPool.start}-${lab.dhcpPool.end}`,
    '--disk', '/dev/vda',
    '--data-dir', options.dataDir,
  ];
  return new Promise((resolve) => {
    const spawnedAt = Date.now();
    const child = lab.prov.spawn(process.execPath, args);
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => {
      const finals = new Map<string, DeployRecord>();
      for (const line of output.split('\n')) {
        if (!line.startsWith('{"event":"deploy.changed"')) continue;
        const record = deployRecordSchema.parse((JSON.parse(line) as { record: unknown }).record);
        finals.set(record.nodeId, record);
      }
      resolve({ code: code ?? -1, spawnedAt, finals: [...finals.values()], output });
    });
  });
}

/** The moment a node reached `deployed`, or an error naming what happened instead. */
export function deployedAt(record: DeployRecord, output: string): number {
  const last = record.history.at(-1);
  if (record.status !== 'deployed' || last?.phase !== 'deployed') {
    throw new Error(`node ${record.nodeId} ended ${record.status} in ${record.phase}: ${record.failure?.reason ?? ''}\n${output.slice(-3000)}`);
  }
  return Date.parse(last.at);
}

/** Seconds spent in each phase (until the next one began), in phase order. */
export function phaseDurations(record: DeployRecord): [string, number][] {
  const entries = record.history.filter((entry) => DEPLOY_PHASES.includes(entry.phase));
  return entries.slice(0, -1).map((entry, index) => [entry.phase, (Date.parse(entries[index + 1]!.at) - Date.parse(entry.at)) / 1000]);
}

/** Seconds from the power-on order (booting-pxe) to the agent's first request to Rackboot (agent-connected). */
export function powerOnToAgent(record: DeployRecord): number {
  const at = (phase: string): number => Date.parse(record.history.find((entry) => entry.phase === phase)?.at ?? '');
  return (at('agent-connected') - at('booting-pxe')) / 1000;
}

/** Powers the servers off and empties their disks, so every deploy writes to a disk as empty as the lab made it. */
export async function powerOffAndWipe(lab: Lab, servers: LabServer[]): Promise<void> {
  for (const server of servers) {
    await lab.ipmitool(server, 'chassis', 'power', 'off');
    const deadline = Date.now() + 15_000;
    while (!(await lab.ipmitool(server, 'chassis', 'power', 'status')).includes('is off')) {
      if (Date.now() > deadline) throw new Error(`${server.name} did not power off`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const size = (await stat(server.diskPath)).size;
    await truncate(server.diskPath, 0);
    await truncate(server.diskPath, size);
  }
}
