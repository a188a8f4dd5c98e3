import { describe, expect, it } from 'vitest';
import { applyDeployEvent, initialRecord, InvalidTransition, retryPhase } from './state-machine';
import type { DeployRecord } from '../../shared/deploy';

const t = (n: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString();

function running(): DeployRecord {
  return applyDeployEvent(initialRecord('n1', t(0)), { kind: 'start', deployId: 'd1', imageId: 'img', from: 'enrolled', at: t(1) });
}

describe('deploy state machine', () => {
  it('walks every phase forward to deployed with a timestamped history', () => {
    let record = running();
    const phases = ['bmc-verified', 'mac-captured', 'booting-pxe', 'dhcp', 'bootloader', 'ramdisk', 'agent-connected', 'writing-image', 'verifying', 'switching-to-disk', 'rebooting', 'deployed'] as const;
    phases.forEach((phase, index) => {
      record = applyDeployEvent(record, { kind: 'reached', phase, at: t(index + 2) });
    });
    expect(record.status).toBe('deployed');
    expect(record.history.map((entry) => entry.phase)).toEqual(['enrolled', ...phases]);
    expect(record.history.at(-1)!.at).toBe(t(phases.length + 1));
  });

  it('may skip phases it did not observe and ignores a late signal for a phase already passed', () => {
    const record = applyDeployEvent(running(), { kind: 'reached', phase: 'ramdisk', at: t(2) });
    expect(applyDeployEvent(record, { kind: 'reached', phase: 'dhcp', at: t(3) })).toBe(record);
    expect(applyDeployEvent(record, { kind: 'reached', phase: 'ramdisk', at: t(4) })).toBe(record);
    expect(record.history.map((entry) => entry.phase)).toEqual(['enrolled', 'ramdisk']);
  });

  it('records the failed phase and the reason', () => {
    let record = applyDeployEvent(running(), { kind: 'reached', phase: 'writing-image', at: t(2) });
    record = applyDeployEvent(record, { kind: 'fail', reason: 'disk /dev/vda not found', at: t(3) });
    expect(record).toMatchObject({ status: 'failed', failure: { phase: 'writing-image', reason: 'disk /dev/vda not found' } });
  });

  it('ignores progress and failures once the deploy has ended', () => {
    let record = applyDeployEvent(running(), { kind: 'cancel', at: t(2) });
    record = applyDeployEvent(record, { kind: 'fail', reason: 'late', at: t(3) });
    expect(record.status).toBe('cancelled');
    expect(() => applyDeployEvent(record, { kind: 'reached', phase: 'dhcp', at: t(4) })).toThrow(InvalidTransition);
  });

  it('refuses a second start while one is running', () => {
    expect(() => applyDeployEvent(running(), { kind: 'start', deployId: 'd2', imageId: null, from: 'enrolled', at: t(2) })).toThrow(/already running/);
  });

  it('retries a boot-time failure from a fresh PXE boot, an early failure from its own phase', () => {
    const late = applyDeployEvent(applyDeployEvent(running(), { kind: 'reached', phase: 'verifying', at: t(2) }), { kind: 'fail', reason: 'x', at: t(3) });
    expect(retryPhase(late)).toBe('mac-captured');
    const early = applyDeployEvent(applyDeployEvent(running(), { kind: 'reached', phase: 'bmc-verified', at: t(2) }), { kind: 'fail', reason: 'no PXE', at: t(3) });
    expect(retryPhase(early)).toBe('bmc-verified');
    const resumed = applyDeployEvent(early, { kind: 'start', deployId: 'd2', imageId: 'img', from: retryPhase(early), at: t(4) });
    expect(resumed).toMatchObject({ status: 'running', phase: 'bmc-verified', failure: null });
    expect(resumed.history.map((entry) => entry.phase)).toEqual(['enrolled', 'bmc-verified', 'bmc-verified']);
  });
});
