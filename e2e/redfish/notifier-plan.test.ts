import { describe, expect, it } from 'vitest';
import { fakeSystemNoticeSchema, planNotice } from './notifier-plan';

// Reports as sushy-tools' fake driver sends them (its _send_external_notification PUTs the system dict).
const system = { uuid: '8c5b0e1e-2f0a-4d6e-9c55-0d3c1b2a4f10', name: 'server2', nics: [{ mac: '52:54:00:aa:00:02', ip: '0.0.0.0' }], external_notifier: true };

describe('the Redfish lab hook plan', () => {
  it('powers on at the apply time with the boot device the override set', () => {
    const notice = fakeSystemNoticeSchema.parse({ ...system, power_state: 'Off', boot_device: 'Pxe', pending_power: { power_state: 'On', apply_time: 1_790_000_007 } });
    expect(planNotice(notice)).toEqual({ bootDevice: 'pxe', power: { atMs: 1_790_000_007_000, steps: ['on'] } });
  });

  it('restarts as off then on, and reads a never-set boot device as the disk', () => {
    const notice = fakeSystemNoticeSchema.parse({ ...system, power_state: 'Off', pending_power: { power_state: 'ForceRestart', apply_time: 5 } });
    expect(planNotice(notice)).toEqual({ bootDevice: 'default', power: { atMs: 5000, steps: ['off', 'on'] } });
    expect(planNotice({ ...notice, pending_power: { power_state: 'GracefulRestart', apply_time: 5 } }).power?.steps).toEqual(['off', 'on']);
  });

  it('changes nothing of the power when the report carries no pending reset', () => {
    expect(planNotice(fakeSystemNoticeSchema.parse({ ...system, power_state: 'On', boot_device: 'Hdd', pending_power: null }))).toEqual({ bootDevice: 'default', power: null });
    expect(planNotice(fakeSystemNoticeSchema.parse({ ...system, power_state: 'On', boot_device: 'Cd' })).bootDevice).toBe('cdrom');
  });

  it('refuses what the lab server cannot do, by name', () => {
    expect(() => planNotice({ ...system, power_state: 'On', boot_device: 'UefiHttp' })).toThrow('The lab server cannot boot from UefiHttp');
    expect(() => planNotice({ ...system, power_state: 'On', pending_power: { power_state: 'Nmi', apply_time: 1 } })).toThrow('Unknown pending power state Nmi');
    expect(fakeSystemNoticeSchema.safeParse({ name: 'x' }).success).toBe(false);
  });
});
