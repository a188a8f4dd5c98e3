import { describe, expect, it } from 'vitest';
import { interfacesFromOs, manualInstructions } from './manual';

describe('macOS and Windows: instructions instead of automation', () => {
  it('macOS adds an alias so the port keeps its own settings', () => {
    expect(manualInstructions('darwin', 'en5', '192.168.2.10', 24)).toContain('sudo ifconfig en5 alias 192.168.2.10 netmask 255.255.255.0\n');
  });

  it('Windows uses netsh in an administrator prompt', () => {
    const text = manualInstructions('win32', 'Ethernet 2', '10.77.0.1', 24);
    expect(text).toContain('netsh interface ipv4 add address name="Ethernet 2" address=10.77.0.1 mask=255.255.255.0\r\n');
    expect(text).toContain('Run as administrator');
  });

  it('lists what Node sees where iproute2 is missing', () => {
    const [en5] = interfacesFromOs({
      en5: [{ address: '169.254.3.4', netmask: '255.255.0.0', family: 'IPv4', mac: 'a0:ce:c8:01:02:03', internal: false, cidr: '169.254.3.4/16' }],
    });
    expect(en5).toMatchObject({ name: 'en5', mac: 'a0:ce:c8:01:02:03', kind: 'other', addresses: [{ family: 'inet', address: '169.254.3.4', prefixLength: 16 }] });
  });
});
