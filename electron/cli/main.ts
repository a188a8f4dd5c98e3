import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { bootModeSchema, servicesConfigSchema, type DeployRecord, type DeploySettings, type TransferProgress } from '../../shared/deploy';
import { cleaningSchema, type RootDeviceHints } from '../../shared/inventory';
import type { LogEvent, MethodInput, MethodName, MethodOutput } from '../../shared/api';
import { createCore, type Core } from '../core/core';
import { sha256FingerprintSchema, type BmcProtocol, type TlsTrust } from '../../shared/redfish';
import { parseHardwareInfo } from '../inventory/hardware-info';
import { KeyFileSecretBox } from '../inventory/secret-box';
import { IRONIC_USAGE, ironicCommand } from './ironic';
import { defaultHeadlessDataDir, timeoutScaleFromEnv } from '../lib/app-paths';

const USAGE = `Usage: rackboot deploy [servers] --image FILE [network] [ramdisk] [options]
Servers (one or more):
  --hwinfo FILE             DevStack hardware_info lines: IP MAC USER PASS
  --bmc [ipmi://|redfish://]USER:PASS@HOST[:PORT]  a server known only by its BMC (its MAC is captured);
                            without a scheme Redfish (HTTPS 443) is tried first, then IPMI (623)
  --tls-pin HOST=SHA256     trust the Redfish BMC at HOST by its certificate's SHA-256 fingerprint (AB:CD:…)
Image:
  --image FILE              raw, gzip, xz, zstd or qcow2 disk image    --boot-mode bios|uefi (default bios)
  --image-checksum HASH|FILE  the image's sha256, or a SHA256SUMS file listing it: a mismatch is refused
Network (the provisioning interface, already configured):
  --interface IF --address ADDR/PREFIX [--mode full|proxy] [--pool START-END] [--http-port N]
  [--router-advertisements on|off] (IPv6 RAs with router lifetime 0 so iPXE starts ~15 s sooner; needs dnsmasq)
Deploy ramdisk (default: the built-in one, Debian 12's kernel with every storage and network driver):
  --ramdisk-kernel FILE and either --ramdisk-initrd FILE (agent appended) or --ramdisk-modules DIR|DEB --busybox FILE
Options:
  --disk DEV|auto  --up-marker REGEX (default login:)  --concurrency N  --data-dir DIR  --json (events as JSON lines)
Disks (every server given):
  --root-device-hints JSON  Ironic root device hints, like '{"serial":"S3Z2"}' or '{"size":">= 100"}'
  --erase-disk              the target disk may hold data: erase it (once; the next deploy asks again)
  --cleaning none|target|all-disks  wipe partition tables and filesystem signatures before the write`;

interface ServerArg {
  protocol: BmcProtocol;
  address: string;
  /** The port given after HOST, for the protocol named (IPMI's when none). */
  port: number | null;
  user: string;
  password: string;
  mac: string | null;
}

function parseBmcArg(value: string): ServerArg {
  const match = /^(?:(ipmi|redfish):\/\/)?([^:@]+):([^@]*)@([^:]+)(?::(\d+))?$/.exec(value);
  if (!match) throw new Error(`--bmc ${value.replace(/:[^@]*@/, ':****@')} is not [ipmi://|redfish://]USER:PASS@HOST[:PORT]`);
  const protocol = (match[1] ?? 'auto') as BmcProtocol;
  return { protocol, user: match[2]!, password: match[3]!, address: match[4]!, port: match[5] ? Number(match[5]) : null, mac: null };
}

/** `HOST=SHA256` pairs: the certificate each Redfish BMC is trusted by. */
function parsePins(values: string[]): Map<string, TlsTrust> {
  const pins = new Map<string, TlsTrust>();
  for (const value of values) {
    const [host, fingerprint] = value.split('=');
    const parsed = sha256FingerprintSchema.safeParse(fingerprint ?? '');
    if (!host || !parsed.success) throw new Error(`--tls-pin ${value} is not HOST=SHA256 (32 hex pairs joined by colons)`);
    pins.set(host, { kind: 'pin', sha256: parsed.data, subject: '', issuer: '', notBefore: '', notAfter: '' });
  }
  return pins;
}

/** The value of a flag that takes one of a few words; anything else is refused before anything is changed. */
function choice<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  const chosen = allowed.find((word) => word === value);
  if (chosen === undefined) throw new Error(`--${flag} ${value} is not one of: ${allowed.join(', ')}`);
  return chosen;
}

async function call<M extends MethodName>(core: Core, method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
  const result = await core.call(method, input);
  if (!result.ok) throw new Error(result.error.message);
  return result.output;
}

async function deploy(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      hwinfo: { type: 'string' },
      bmc: { type: 'string', multiple: true, default: [] },
      'tls-pin': { type: 'string', multiple: true, default: [] },
      image: { type: 'string' },
      'image-checksum': { type: 'string' },
      'boot-mode': { type: 'string', default: 'bios' },
      interface: { type: 'string' },
      address: { type: 'string' },
      mode: { type: 'string', default: 'full' },
      pool: { type: 'string' },
      'http-port': { type: 'string', default: '8080' },
      'router-advertisements': { type: 'string', default: 'on' },
      'ramdisk-kernel': { type: 'string' },
      'ramdisk-initrd': { type: 'string' },
      'ramdisk-modules': { type: 'string' },
      busybox: { type: 'string' },
      disk: { type: 'string', default: 'auto' },
      'root-device-hints': { type: 'string' },
      'erase-disk': { type: 'boolean', default: false },
      cleaning: { type: 'string', default: 'none' },
      'up-marker': { type: 'string', default: 'login:' },
      concurrency: { type: 'string', default: '4' },
      'data-dir': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const servers: ServerArg[] = values.bmc.map(parseBmcArg);
  const pins = parsePins(values['tls-pin']);
  if (values.hwinfo) {
    const parsed = parseHardwareInfo(await readFile(values.hwinfo, 'utf8'));
    for (const problem of parsed.problems) console.error(`${values.hwinfo}:${problem.line}: ${problem.reason}`);
    servers.push(
      ...parsed.entries.map((entry) => ({ protocol: entry.bmcProtocol, address: entry.bmcAddress, port: null, user: entry.bmcUser, password: entry.bmcPassword, mac: entry.mac })),
    );
  }
  const [address, prefix] = (values.address ?? '').split('/');
  if (!servers.length || !values.image || !values.interface || !address || !prefix) {
    console.error(USAGE);
    return 2;
  }
  const bootMode = choice('boot-mode', values['boot-mode'], bootModeSchema.options);
  const mode = choice('mode', values.mode, servicesConfigSchema.shape.mode.options);
  const ramdiskKernel = values['ramdisk-kernel'];
  const ramdisk: DeploySettings['ramdisk'] = !ramdiskKernel
    ? { kind: 'builtin' }
    : values['ramdisk-initrd']
      ? { kind: 'append', kernel: ramdiskKernel, initrd: values['ramdisk-initrd'] }
      : { kind: 'build', kernel: ramdiskKernel, modules: values['ramdisk-modules'] ?? '', busybox: values.busybox ?? '/bin/busybox' };

  const dataDir = path.resolve(values['data-dir'] ?? defaultHeadlessDataDir());
  const core = await createCore({
    dataDir,
    secrets: await KeyFileSecretBox.load(path.join(dataDir, 'secret.key')),
    shell: 'headless',
    version: process.env.npm_package_version ?? 'cli',
    deployTuning: { timeoutScale: timeoutScaleFromEnv() },
  });
  const emit = (line: object): void => {
    if (values.json) console.log(JSON.stringify(line));
  };
  core.bus.subscribe((event, payload) => {
    if (event === 'deploy.changed') emit({ event, record: payload });
    else if (event === 'transfer.progress') {
      // Each finished or broken transfer with its byte count (what was sent to whom); the progress ticks stay out.
      const transfer = payload as TransferProgress;
      if (transfer.phase === 'done' || transfer.phase === 'failed') emit({ event, transfer });
    } else if (event === 'log') {
      const line = payload as LogEvent;
      if (values.json) emit({ event, line });
      else if (line.level !== 'debug') console.log(`${line.time.slice(11, 19)} ${line.level.padEnd(5)} ${line.source}: ${line.message}`);
    }
  });
  try {
    const known = await call(core, 'nodes.list', {});
    const nodeIds: string[] = [];
    for (const server of servers) {
      const ipmiPort = server.protocol !== 'redfish' && server.port !== null ? server.port : 623;
      const redfishPort = server.protocol === 'redfish' && server.port !== null ? server.port : 443;
      const existing = known.find((node) => node.bmcAddress === server.address && node.bmcPort === ipmiPort);
      const node =
        existing ??
        (await call(core, 'nodes.add', {
          name: server.port === null ? server.address : `${server.address}:${server.port}`,
          bmcAddress: server.address,
          bmcPort: ipmiPort,
          bmcProtocol: server.protocol,
          redfishPort,
          tlsTrust: pins.get(server.address) ?? null,
          bmcUser: server.user,
          bmcPassword: server.password,
          mac: server.mac,
        }));
      nodeIds.push(node.id);
      await call(core, 'nodes.update', {
        id: node.id,
        changes: {
          rootDeviceHints: values['root-device-hints'] ? (JSON.parse(values['root-device-hints']) as RootDeviceHints) : null,
          eraseTargetDisk: values['erase-disk'],
          cleaning: choice('cleaning', values.cleaning, cleaningSchema.options),
        },
      });
    }
    const given = values['image-checksum'];
    const checksum = given === undefined ? undefined : /^[0-9a-fA-F]{64}$/.test(given) ? given : await readFile(given, 'utf8');
    const image = await call(core, 'images.add', { path: values.image, bootMode, checksum });
    await call(core, 'deploy.setSettings', { ramdisk, disk: values.disk, upMarker: values['up-marker'], concurrency: Number(values.concurrency) });
    const [poolStart, poolEnd] = (values.pool ?? '').split('-');
    await call(core, 'services.start', {
      interfaceName: values.interface,
      address,
      prefixLength: Number(prefix),
      mode,
      ...(poolStart && poolEnd ? { pool: { start: poolStart, end: poolEnd } } : {}),
      httpPort: Number(values['http-port']),
      routerAdvertisements: values['router-advertisements'] !== 'off',
    });
    const settled = new Map<string, DeployRecord>();
    const done = new Promise<void>((resolve) => {
      core.bus.on('deploy.changed', (record) => {
        if (!nodeIds.includes(record.nodeId) || record.status === 'running') return;
        settled.set(record.nodeId, record);
        if (settled.size === nodeIds.length) resolve();
      });
    });
    await call(core, 'deploy.start', { nodeIds, imageId: image.id });
    await done;
    let failures = 0;
    for (const record of settled.values()) {
      const took = (Date.parse(record.updatedAt) - Date.parse(record.startedAt)) / 1000;
      if (record.status === 'deployed') console.error(`deployed ${record.nodeId} in ${took.toFixed(1)} s`);
      else {
        failures += 1;
        console.error(`FAILED ${record.nodeId} in ${record.failure?.phase}: ${record.failure?.reason}`);
      }
    }
    return failures ? 1 : 0;
  } finally {
    await core.close();
  }
}

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  if (command === 'deploy') return deploy(rest);
  if (command === 'ironic') return ironicCommand(rest);
  console.error(`${USAGE}\n\n${IRONIC_USAGE}`);
  return 2;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
