import { describe, expect, it } from 'vitest';
import { bootOverridePatch, resetTypeFor, withoutBootMode } from './actions';
import { hasMessage, parseErrorBody, parseEthernetInterface, parseServiceRoot, parseSystem, parseTaskMonitor, type SystemFacts } from './payloads';
import {
  IDRAC_SYSTEM,
  ILO_MODE_NOT_WRITABLE,
  NIC_1,
  NIC_2,
  SERVICE_ROOT_ILO,
  SERVICE_ROOT_WITH_SESSIONS,
  SERVICE_ROOT_WITHOUT_SESSIONS,
  SUPERMICRO_SYSTEM,
  TASK_DONE,
  TASK_FAILED,
  TASK_RUNNING,
  XCC_SYSTEM,
} from './testing/recorded';
import { quirksOf, vendorOf } from './vendor';

function system(json: unknown, etag: string | null = null): SystemFacts {
  const parsed = parseSystem(json, etag);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.value;
}

describe('Redfish payloads', () => {
  it('finds the sessions collection, or says there is none', () => {
    expect(parseServiceRoot(SERVICE_ROOT_WITH_SESSIONS)).toMatchObject({ ok: true, value: { sessionsPath: '/redfish/v1/SessionService/Sessions', vendor: 'Dell' } });
    expect(parseServiceRoot(SERVICE_ROOT_WITHOUT_SESSIONS)).toMatchObject({ ok: true, value: { sessionsPath: null, systemsPath: '/redfish/v1/Systems' } });
    expect(parseServiceRoot(SERVICE_ROOT_ILO)).toMatchObject({ ok: true, value: { vendor: 'Hpe' } });
    expect(parseServiceRoot({ Systems: 'nope' }).ok).toBe(false);
    expect(parseServiceRoot('<html>').ok).toBe(false);
  });

  it('reads what the deploy needs from an iDRAC system', () => {
    const facts = system(IDRAC_SYSTEM, 'W/"gen-7"');
    expect(facts).toMatchObject({
      manufacturer: 'Dell Inc.',
      model: 'PowerEdge R650',
      serialNumber: 'CNIVC0012345',
      uuid: '4c4c4544-0042-3510-8052-b4c04f4e3433',
      biosVersion: '1.9.2',
      powerState: 'Off',
      etag: 'W/"gen-7"',
      resetPath: '/redfish/v1/Systems/System.Embedded.1/Actions/ComputerSystem.Reset',
    });
    expect(facts.boot.allowedTargets).toContain('Pxe');
    expect(vendorOf({ vendor: null, product: null }, facts)).toBe('dell');
    expect(vendorOf({ vendor: null, product: null }, system(XCC_SYSTEM))).toBe('lenovo');
    expect(vendorOf({ vendor: 'Hpe', product: null }, null)).toBe('hpe');
  });

  it('takes the ETag from the body when the header has none, and drops an all-zero UUID', () => {
    const facts = system(SUPERMICRO_SYSTEM);
    expect(facts.etag).toBe('"a1b2c3d4e5"');
    expect(facts.uuid).toBeNull();
    expect(vendorOf({ vendor: null, product: null }, facts)).toBe('supermicro');
  });

  it('names what is wrong with a system it cannot use', () => {
    const parsed = parseSystem({ Id: 1, PowerState: 'Sideways' });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem).toMatch(/not a Redfish ComputerSystem/);
  });

  it('reads MACs, preferring the permanent one, in one spelling', () => {
    expect(parseEthernetInterface(NIC_1)).toMatchObject({ ok: true, value: { mac: 'b4:96:91:3a:1c:40', linkUp: true } });
    expect(parseEthernetInterface(NIC_2)).toMatchObject({ ok: true, value: { mac: 'b4:96:91:3a:1c:41', linkUp: false } });
    expect(parseEthernetInterface({ MACAddress: 'not-a-mac' })).toMatchObject({ ok: true, value: { mac: null } });
  });

  it('follows task monitors to their end', () => {
    expect(parseTaskMonitor(202, TASK_RUNNING)).toEqual({ ok: true, value: { state: 'running', percent: 40 } });
    expect(parseTaskMonitor(200, TASK_DONE)).toEqual({ ok: true, value: { state: 'done' } });
    expect(parseTaskMonitor(200, TASK_FAILED)).toEqual({ ok: true, value: { state: 'failed', reason: 'Unable to perform the operation because the server is in lockdown mode.' } });
    expect(parseTaskMonitor(204, undefined)).toEqual({ ok: true, value: { state: 'done' } });
    expect(parseTaskMonitor(202, undefined)).toEqual({ ok: true, value: { state: 'running', percent: null } });
  });

  it('reads message ids whatever the registry version', () => {
    const { ids, text } = parseErrorBody(ILO_MODE_NOT_WRITABLE);
    expect(hasMessage(ids, 'PropertyNotWritable')).toBe(true);
    expect(text).toContain('read only');
    expect(parseErrorBody('garbage')).toEqual({ ids: [], text: '' });
  });
});

describe('boot override', () => {
  it('sets PXE once and leaves an unchanged mode out (iLO refuses a read-only mode even unchanged)', () => {
    const plan = bootOverridePatch(system(IDRAC_SYSTEM), { device: 'pxe', persistent: false, mode: 'uefi' }, quirksOf('dell'));
    expect(plan).toEqual({ ok: true, value: { body: { Boot: { BootSourceOverrideEnabled: 'Once', BootSourceOverrideTarget: 'Pxe' } }, notes: [] } });
  });

  it('sends the mode when it changes, and always on Supermicro (which otherwise falls back to its default)', () => {
    const change = bootOverridePatch(system(IDRAC_SYSTEM), { device: 'disk', persistent: true, mode: 'bios' }, quirksOf('dell'));
    expect(change.ok && change.value.body.Boot).toEqual({ BootSourceOverrideEnabled: 'Continuous', BootSourceOverrideTarget: 'Hdd', BootSourceOverrideMode: 'Legacy' });
    const same = bootOverridePatch(system(SUPERMICRO_SYSTEM), { device: 'pxe', persistent: false, mode: 'uefi' }, quirksOf('supermicro'));
    expect(same.ok && same.value.body.Boot.BootSourceOverrideMode).toBe('UEFI');
    if (same.ok) expect(withoutBootMode(same.value).body.Boot).not.toHaveProperty('BootSourceOverrideMode');
  });

  it('falls back to Once where Continuous is not offered, and keeps a mode the system cannot switch, saying so', () => {
    const plan = bootOverridePatch(system(XCC_SYSTEM), { device: 'disk', persistent: true, mode: 'bios' }, quirksOf('lenovo'));
    expect(plan.ok && plan.value.body.Boot).toEqual({ BootSourceOverrideEnabled: 'Once', BootSourceOverrideTarget: 'Hdd' });
    expect(plan.ok && plan.value.notes.join(' ')).toMatch(/no Continuous.*Once.*cannot switch its boot mode to Legacy/);
  });

  it('refuses a device the system does not offer', () => {
    const facts = system({ ...IDRAC_SYSTEM, Boot: { ...IDRAC_SYSTEM.Boot, 'BootSourceOverrideTarget@Redfish.AllowableValues': ['Cd'] } });
    const plan = bootOverridePatch(facts, { device: 'pxe', persistent: false, mode: 'uefi' }, quirksOf('other'));
    expect(plan).toEqual({ ok: false, reason: 'the system does not offer boot device Pxe (it offers Cd)' });
  });
});

describe('reset choice', () => {
  it('picks from the allowable values, best first', () => {
    expect(resetTypeFor(system(IDRAC_SYSTEM), 'restart')).toEqual({ ok: true, value: 'ForceRestart' });
    expect(resetTypeFor({ allowedResetTypes: ['PowerCycle', 'On'] }, 'restart')).toEqual({ ok: true, value: 'PowerCycle' });
    expect(resetTypeFor({ allowedResetTypes: ['ForceOn'] }, 'on')).toEqual({ ok: true, value: 'ForceOn' });
    expect(resetTypeFor({ allowedResetTypes: null }, 'off')).toEqual({ ok: true, value: 'ForceOff' });
    expect(resetTypeFor({ allowedResetTypes: ['Nmi'] }, 'off')).toMatchObject({ ok: false });
  });
});
