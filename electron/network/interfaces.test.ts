import { describe, expect, it } from 'vitest';
import { parseNetworkState, parseNmcliDevices, parseSysfs } from './interfaces';
import { capturedState } from './test-fixtures';

const byName = (name: string, raw = capturedState()) => {
  const found = parseNetworkState(raw).interfaces.find((iface) => iface.name === name);
  if (!found) throw new Error(`${name} missing from the capture`);
  return found;
};

describe('interface state from iproute2 JSON and sysfs', () => {
  it('reads name, MAC, link, speed and addresses of a wired port', () => {
    const eth = byName('eth-prov');
    expect(eth).toMatchObject({ mac: '7a:2a:50:52:16:a5', kind: 'wired', linkKind: 'veth', adminUp: true, carrier: true, speedMbps: 10000, mtu: 1500, master: null });
    expect(eth.addresses.map((address) => `${address.address}/${address.prefixLength}`)).toEqual(['192.168.7.3/24', 'fe80::782a:50ff:fe52:16a5/64']);
    expect(eth.addresses[0]).toMatchObject({ scope: 'global', broadcast: null, validLifetime: null });
  });

  it('recommends a wired port with link that is not the uplink', () => {
    expect(byName('eth-prov').recommended).toBe(true);
  });

  it('does not recommend the interface carrying the default route', () => {
    const uplink = byName('wlan-sim');
    expect(uplink.carriesDefaultRoute).toBe(true);
    expect(uplink.recommended).toBe(false);
    expect(uplink.notes.join(' ')).toMatch(/default route/);
  });

  it('calls an interface wireless when sysfs has a wireless directory, and never recommends it', () => {
    const wifi = byName('eth-prov', capturedState({ 'eth-prov': { wireless: true } }));
    expect(wifi.kind).toBe('wireless');
    expect(wifi.recommended).toBe(false);
  });

  it('shows a bridge port with its master and no carrier', () => {
    expect(byName('eth-port')).toMatchObject({ master: 'br-test', carrier: false, recommended: false });
    expect(byName('br-test')).toMatchObject({ kind: 'bridge', linkKind: 'bridge', speedMbps: null });
  });

  it('knows loopback', () => {
    expect(byName('lo')).toMatchObject({ kind: 'loopback', mac: null, recommended: false });
  });

  it('says NetworkManager management is unknown without nmcli, and reads it from nmcli when present', () => {
    expect(byName('eth-prov').managedByNetworkManager).toBeNull();
    const nm = 'eth-prov:connected\nwlan-sim:connected\nlo:unmanaged\n';
    expect(byName('eth-prov', capturedState({}, nm)).managedByNetworkManager).toBe(true);
    expect(byName('lo', capturedState({}, nm)).managedByNetworkManager).toBe(false);
    expect(byName('eth-port', capturedState({}, nm)).managedByNetworkManager).toBe(false);
  });
});

describe('nmcli -t -f DEVICE,STATE device', () => {
  it('treats every state but unmanaged as managed', () => {
    const managed = parseNmcliDevices('enp0s31f6:connected\nwlp2s0:disconnected\nbr0:connected (externally)\nveth1:unmanaged\nlo:unmanaged (externally)\n');
    expect(Object.fromEntries(managed)).toEqual({ enp0s31f6: true, wlp2s0: true, br0: true, veth1: false, lo: false });
  });

  it('unescapes colons nmcli escapes in terse mode', () => {
    expect([...parseNmcliDevices('odd\\:name:connected').keys()]).toEqual(['odd:name']);
  });
});

describe('sysfs', () => {
  it('reports an unknown speed (-1 or unreadable) as null', () => {
    expect(parseSysfs({ type: '1\n', carrier: '0\n', speed: '-1\n', wireless: false })).toEqual({ type: 1, carrier: false, speedMbps: null, wireless: false });
    expect(parseSysfs({ type: '1', carrier: null, speed: null, wireless: false })).toMatchObject({ carrier: null, speedMbps: null });
  });
});
