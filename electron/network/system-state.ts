import { promises as fs } from 'node:fs';
import path from 'node:path';
import { findProgram, runCommand, type CommandRunner } from '../lib/command-runner';
import { parseNetworkState, parseSysfs, type SysfsInfo, type SystemNetworkState } from './interfaces';

/** The tools Rackboot can use on this machine, found on PATH (plus the sbin folders a desktop PATH may lack). */
export interface Tools {
  nmcli: boolean;
  ovsVsctl: boolean;
  arping: boolean;
}

export async function detectTools(): Promise<Tools> {
  const [nmcli, ovsVsctl, arping] = await Promise.all(['nmcli', 'ovs-vsctl', 'arping'].map(findProgram));
  return { nmcli: nmcli !== null, ovsVsctl: ovsVsctl !== null, arping: arping !== null };
}

async function readText(file: string): Promise<string | null> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch {
    return null;
  }
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

async function readSysfs(name: string, root: string): Promise<SysfsInfo> {
  const dir = path.join(root, name);
  const [type, carrier, speed, wireless, phy] = await Promise.all([
    readText(path.join(dir, 'type')),
    readText(path.join(dir, 'carrier')),
    readText(path.join(dir, 'speed')),
    exists(path.join(dir, 'wireless')),
    exists(path.join(dir, 'phy80211')),
  ]);
  return parseSysfs({ type, carrier, speed, wireless: wireless || phy });
}

/** Reads the laptop's interfaces and routes. Needs no privileges. */
export async function readNetworkState(
  run: CommandRunner = runCommand,
  options: { tools?: Tools; sysfsRoot?: string } = {},
): Promise<SystemNetworkState> {
  const tools = options.tools ?? (await detectTools());
  const sysfsRoot = options.sysfsRoot ?? '/sys/class/net';
  const [links, addresses, routes4, routes6, nmcli] = await Promise.all([
    run('ip', ['-j', '-d', 'link', 'show']),
    run('ip', ['-j', 'addr', 'show']),
    // Every table: a VPN's default route (wg-quick) lives in a table of its own, and an IPv6-only uplink has none in IPv4.
    run('ip', ['-j', '-4', 'route', 'show', 'table', 'all']),
    run('ip', ['-j', '-6', 'route', 'show', 'table', 'all']),
    tools.nmcli ? run('nmcli', ['-t', '-f', 'DEVICE,STATE', 'device']).catch(() => null) : Promise.resolve(null),
  ]);
  const names = (JSON.parse(links) as { ifname: string }[]).map((link) => link.ifname);
  const sysfs = Object.fromEntries(await Promise.all(names.map(async (name) => [name, await readSysfs(name, sysfsRoot)] as const)));
  return parseNetworkState({ links, addresses, routes4, routes6, sysfs, nmcli });
}
