import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiscoveryProgress } from '../../shared/ipmi';
import { discoverBmcs } from '../../electron/ipmi/discovery';
import { missingTools, randomPortBase, startIpmiSims, type SimInstance } from './ipmi-sim';

const skipReason = missingTools();
if (skipReason) console.log(`Skipping discovery lab tests: ${skipReason}`);

// Loopback is a whole /8: three simulated BMCs on three addresses of 127.0.0.64/27, same port.
const PORT = randomPortBase();
const ADDRESSES = ['127.0.0.70', '127.0.0.81', '127.0.0.93'];
let sims: SimInstance[] = [];

describe.skipIf(skipReason !== null)('BMC discovery on loopback', () => {
  beforeAll(async () => {
    sims = await startIpmiSims(ADDRESSES.map((address) => ({ address, port: PORT, chassisControl: false })));
  });

  afterAll(async () => {
    await Promise.all(sims.map((sim) => sim.stop()));
  });

  it('finds every BMC in a range, with its IPMI version and authentication, reporting progress', async () => {
    const progress: DiscoveryProgress[] = [];
    const found = await discoverBmcs('127.0.0.64/27', { port: PORT, timeoutMs: 300, ratePerSecond: 500, onProgress: (step) => progress.push(step) });
    expect(found.map((bmc) => bmc.address)).toEqual(ADDRESSES);
    expect(found[0]).toMatchObject({ port: PORT, ipmiVersion: '2.0', answersPresencePing: true, kgRequired: false });
    expect(found[0]?.authTypes).toContain('md5');
    expect(progress).toHaveLength(30);
    expect(progress.at(-1)).toEqual({ probed: 30, total: 30, found: 3 });
  });

  it('paces probes to the requested rate', async () => {
    const started = Date.now();
    await discoverBmcs('127.0.0.64/28', { port: PORT, timeoutMs: 100, retries: 0, ratePerSecond: 50 });
    expect(Date.now() - started).toBeGreaterThanOrEqual((14 * 1000) / 50 - 20);
  });
});
