// Router advertisements against the real consumer: QEMU's iPXE ROM in the virtual rack, booted through its BMC with
// our DHCP + TFTP + HTTP services, once with the router advertiser and once without. One VM at a time (TCG).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab } from '../lab';
import { isRoot } from '../support/netns';
import { timePxeBoot, type PxeBootTiming } from './pxe-boot';

const root = isRoot();
if (!root) console.log('router-advertiser.lab.test.ts skipped: needs root (network namespaces, ipmi_sim, QEMU).');

describe.skipIf(!root)('the router advertiser with the iPXE ROM of a lab server', () => {
  let lab: Lab;
  let withRa: PxeBootTiming;
  let withoutRa: PxeBootTiming;

  beforeAll(async () => {
    lab = await startLab({ servers: 1 });
    withRa = await timePxeBoot(lab, lab.servers[0]!, 'ours');
    withoutRa = await timePxeBoot(lab, lab.servers[0]!, 'ours-without-ra');
    for (const timing of [withRa, withoutRa]) {
      console.log(
        `${timing.services}: power on → DISCOVER ${timing.discoverMs} ms, → ACK ${timing.ackMs} ms, → script fetch ${timing.scriptMs} ms ` +
          `(ACK → script ${timing.scriptMs - timing.ackMs} ms); ROM's router solicitations at ${timing.solicitationsMs.join(', ') || '-'} ms, ` +
          `RAs at ${timing.advertisements.map((ra) => ra.timeMs).join(', ')} ms`,
      );
    }
  }, 240_000);

  afterAll(async () => {
    await lab?.stop();
  });

  it('with router advertisements, iPXE opens its boot script connection within 3 s of the DHCP ACK', () => {
    expect(withRa.scriptMs - withRa.ackMs).toBeLessThan(3000);
  });

  it('without them, iPXE first waits for IPv6: at least 5 s longer from ACK to script', () => {
    expect(withoutRa.scriptMs - withoutRa.ackMs - (withRa.scriptMs - withRa.ackMs)).toBeGreaterThan(5000);
  });

  it('the script it fetches is the node script from our HTTP server, answered 200', () => {
    expect(withRa.events).toContainEqual(expect.objectContaining({ kind: 'http-transfer', phase: 'done', status: 200, path: expect.stringMatching(/^\/ipxe\/.+\.ipxe$/) }));
  });

  it('every RA sent has router lifetime 0, hop limit 255, and advertises only the ULA prefix', () => {
    expect(withRa.advertisements.length).toBeGreaterThan(0);
    const running = withRa.events.find((event) => event.type === 'router-advertiser' && event.state === 'running');
    const prefix = String(running?.prefix);
    for (const ra of withRa.advertisements) {
      expect(ra.routerLifetime).toBe(0);
      expect(ra.ipHopLimit).toBe(255);
      expect(ra.managed || ra.otherConfig).toBe(false);
      expect(ra.prefixes.map((p) => p.length)).toEqual([64]);
      expect(ra.prefixes[0]!.prefix).toBe(`${prefix.slice(0, -2)}:0:0:0:0:0`);
    }
  });

  it('iPXE takes an address in the advertised ULA prefix (its serial console says so)', () => {
    const running = withRa.events.find((event) => event.type === 'router-advertiser' && event.state === 'running');
    expect(withRa.serial).toContain(`net0: ${String(running?.prefix).slice(0, -1)}`);
    expect(withoutRa.serial).not.toMatch(/net0: fd/);
  });

  it("answers the router solicitation of a ROM that boots long after the advertiser's first unsolicited RAs", async () => {
    // dnsmasq sends unsolicited RAs often only in its first minute, then every 10 min: the fast boots above may have
    // ridden on those. In daily use the ROM's own router solicitation must be answered.
    const late = await timePxeBoot(lab, lab.servers[0]!, 'ours', { settleMs: 75_000 });
    const [solicited] = late.solicitationsMs;
    console.log(`75 s after start: ROM's router solicitation at ${solicited} ms, RAs at ${late.advertisements.map((ra) => ra.timeMs).join(', ')} ms, ACK → script ${late.scriptMs - late.ackMs} ms`);
    expect(solicited).toBeDefined();
    expect(late.advertisements.some((ra) => ra.timeMs >= solicited! && ra.timeMs - solicited! < 100 && ra.routerLifetime === 0)).toBe(true);
    expect(late.scriptMs - late.ackMs).toBeLessThan(3000);
  }, 150_000);

  it('sends no RA when switched off', () => {
    expect(withoutRa.advertisements).toEqual([]);
    expect(withoutRa.events.some((event) => event.type === 'router-advertiser')).toBe(false);
  });

  it('on stop, removes the ULA from the provisioning interface and leaves no dnsmasq behind', async () => {
    expect(withRa.events).toContainEqual(expect.objectContaining({ type: 'router-advertiser', state: 'stopped' }));
    expect(await lab.prov.ip('-6', 'addr', 'show', 'dev', lab.provInterface)).not.toMatch(/inet6 fd/);
    const commands = await Promise.all((await lab.prov.pids()).map((pid) => lab.prov.exec('cat', [`/proc/${pid}/comm`]).catch(() => '')));
    expect(commands.map((c) => c.trim())).not.toContain('dnsmasq');
  });
});
