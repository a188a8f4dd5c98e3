import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach } from 'vitest';
import type { NetworkOp } from '../../shared/network';
import type { PrivilegedUdpRequest } from '../lib/udp-bind';
import type { NetworkExecutor } from './executor';
import type { RawNetworkState, SysfsInfo } from './interfaces';
import { parseSysfs } from './interfaces';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

export function fixture(name: string): string {
  return readFileSync(path.join(dir, name), 'utf8');
}

/**
 * A namespace capture (fixtures/capture.sh) as readNetworkState would see it, with optional sysfs overrides per
 * interface. `ns`: the provisioning NIC beside a Wi-Fi stand-in; `uplinks`: every kind of uplink (fixtures/README.md).
 */
export function capturedState(overrides: Record<string, Partial<SysfsInfo>> = {}, nmcli: string | null = null, scene: 'ns' | 'uplinks' = 'ns'): RawNetworkState {
  const files = JSON.parse(fixture(`${scene}-sysfs.json`)) as Record<string, { type: string | null; carrier: string | null; speed: string | null; wireless: boolean }>;
  const sysfs = Object.fromEntries(Object.entries(files).map(([name, info]) => [name, { ...parseSysfs(info), ...overrides[name] }]));
  return {
    links: fixture(`${scene}-link.json`),
    addresses: fixture(`${scene}-addr.json`),
    routes4: fixture(`${scene}-route4.json`),
    routes6: fixture(`${scene}-route6.json`),
    sysfs,
    nmcli,
  };
}

/** A fresh temporary folder for each test of the calling suite; returns a getter for the current one. */
export function tempDirPerTest(prefix: string): () => string {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return () => dir;
}

/** An executor that changes nothing and records the changes and the sockets asked of it. */
export function recordingExecutor(): NetworkExecutor & { ops: NetworkOp[]; bound: PrivilegedUdpRequest[] } {
  const ops: NetworkOp[] = [];
  const bound: PrivilegedUdpRequest[] = [];
  return {
    ops,
    bound,
    run: async (op) => {
      ops.push(op);
    },
    arpProbe: async () => ({ inUse: false, mac: null }),
    dhcpProbe: async () => [],
    bindUdp: async (request) => {
      bound.push(request);
      return dgram.createSocket('udp4');
    },
    close: async () => undefined,
  };
}
