import { describe, expect, it } from 'vitest';
import { HelperClient, HelperRefused, HelperUnavailable } from './client';

/** A stand-in for the helper: a shell that writes to stderr and exits as told (the scope arguments follow as $1…). */
const fakeHelper = (script: string) => ({ command: 'sh', args: ['-c', script, 'rackboot-net-helper'] });

describe('starting the helper', () => {
  it("reports the helper's refusal with its reason, apart from a helper that could not start", async () => {
    const refusal = fakeHelper('echo "rackboot-net-helper: refused --bridge $4: $4 carries an IPv4 default route" >&2; exit 2');
    const refused = HelperClient.start(refusal, { interface: 'eth-prov', bridge: 'wlan0' }, 10_000);
    await expect(refused).rejects.toBeInstanceOf(HelperRefused);
    await expect(refused).rejects.toThrow(/^refused --bridge wlan0: wlan0 carries an IPv4 default route$/);

    const broken = HelperClient.start(fakeHelper('echo "node: not found" >&2; exit 127'), { interface: 'eth-prov', bridge: null }, 10_000);
    await expect(broken).rejects.toBeInstanceOf(HelperUnavailable);
    await expect(broken).rejects.toThrow(/did not start: node: not found/);
  });
});
