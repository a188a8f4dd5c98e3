// Runs `rackboot deploy` in the lab's laptop namespace, as a technician would on the laptop, and reads its records.
import path from 'node:path';
import type { DeployRecord } from '../../shared/deploy';
import type { Kernel, Lab, LabServer } from '../lab';

export const CLI = path.resolve('dist/electron/cli.mjs');

export interface CliRun {
  code: number;
  records: DeployRecord[];
  output: string;
}

export function runDeployCli(lab: Lab, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = lab.prov.spawn('env', [...Object.entries(env).map(([k, v]) => `${k}=${v}`), process.execPath, CLI, 'deploy', '--json', ...args]);
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => {
      const records = output
        .split('\n')
        .filter((line) => line.startsWith('{"event":"deploy.changed"'))
        .map((line) => (JSON.parse(line) as { record: DeployRecord }).record);
      resolve({ code: code ?? -1, records, output });
    });
  });
}

/** Full mode with the lab's pool by default; proxy mode leaves addresses to another DHCP server on the segment. */
export function networkArgs(lab: Lab, mode: 'full' | 'proxy' = 'full'): string[] {
  return [
    '--interface', lab.provInterface,
    '--address', `${lab.provAddress}/${lab.prefixLength}`,
    '--mode', mode,
    ...(mode === 'full' ? ['--pool', `${lab.dhcpPool.start}-${lab.dhcpPool.end}`] : []),
  ];
}

export function ramdiskArgs(kernel: Kernel): string[] {
  return ['--ramdisk-kernel', kernel.vmlinuzPath, '--ramdisk-modules', path.resolve(kernel.modulesDir, '../../..'), '--busybox', '/bin/busybox'];
}

export const bmcArg = (server: LabServer): string => `${server.bmc.user}:${server.bmc.password}@${server.bmc.address}`;
