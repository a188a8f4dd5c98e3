import { describe, expect, it } from 'vitest';
import type { CaptureBoundEvent, DhcpServerEvent, PxeRequestEvent } from '../../../shared/pxe';
import { feedCapture, MacCapture, matchGuid, swapGuidFields } from './capture';
import { parseDhcp } from './codec';
import { dhclientDiscover, ipxeDiscover } from './fixtures';
import { pxeRequestEvent } from './responder';
import { describeRequest } from './request';

const QEMU_UUID = '89abcdef-0123-4567-89ab-cdef01234567';

/** The event our server makes from dhclient's real DISCOVER, with MAC, UUID and time varied. */
function request(mac: string, uuid: string | null, at: number): PxeRequestEvent {
  const parsed = parseDhcp(dhclientDiscover);
  if (!parsed.ok) throw new Error('fixture');
  const seen = pxeRequestEvent(describeRequest(parsed.packet), 67);
  if (!seen) throw new Error('fixture is not a PXE request');
  return { ...seen, mac, uuid, time: new Date(at).toISOString(), interface: 'prov0' };
}

describe('System GUID matching', () => {
  it('matches the same GUID in any spelling', () => {
    expect(matchGuid('{89ABCDEF-0123-4567-89AB-CDEF01234567}', QEMU_UUID)).toBe('system-guid');
  });

  it('matches a GUID whose first three fields arrive byte-swapped', () => {
    expect(swapGuidFields('89abcdef0123456789abcdef01234567')).toBe('efcdab8923016745' + '89abcdef01234567');
    expect(matchGuid(QEMU_UUID, 'efcdab89-2301-6745-89ab-cdef01234567')).toBe('system-guid-byte-swapped');
  });

  it("matches the UUID that QEMU's iPXE ROM really sends for -uuid " + QEMU_UUID, () => {
    const parsed = parseDhcp(ipxeDiscover);
    if (!parsed.ok) throw new Error('fixture');
    expect(matchGuid(QEMU_UUID, describeRequest(parsed.packet).uuid!)).toBe('system-guid-byte-swapped');
  });

  it('does not match a different GUID', () => {
    expect(matchGuid(QEMU_UUID, '00000000-0123-4567-89ab-cdef01234567')).toBeNull();
  });
});

describe('MacCapture', () => {
  it('binds the first PXE client whose UUID matches the System GUID, ignoring other clients', () => {
    const capture = new MacCapture(() => false);
    capture.start({ nodeId: 'n1', systemGuid: QEMU_UUID, poweredOnAt: 1000 });
    expect(capture.observe(request('52:54:00:00:00:01', '11111111-0123-4567-89ab-cdef01234567', 2000))).toEqual([]);
    const [bound] = capture.observe(request('52:54:00:00:00:02', QEMU_UUID, 3000));
    expect(bound).toMatchObject({ type: 'capture-bound', nodeId: 'n1', mac: '52:54:00:00:00:02', match: 'system-guid' });
    expect(capture.active).toEqual([]);
  });

  it('with a GUID known, never falls back to the first new MAC', () => {
    const capture = new MacCapture(() => false);
    capture.start({ nodeId: 'n1', systemGuid: QEMU_UUID, poweredOnAt: 0 });
    expect(capture.observe(request('52:54:00:00:00:01', null, 10))).toEqual([]);
  });

  it('without a GUID, binds the first new PXE MAC after power-on and marks the match as a guess', () => {
    const capture = new MacCapture(() => false);
    capture.observe(request('52:54:00:00:00:01', null, 500));
    capture.start({ nodeId: 'n1', systemGuid: null, poweredOnAt: 1000 });
    expect(capture.observe(request('52:54:00:00:00:01', null, 1500))).toEqual([]);
    const [bound] = capture.observe(request('52:54:00:00:00:02', null, 2000));
    expect(bound).toMatchObject({ nodeId: 'n1', mac: '52:54:00:00:00:02', match: 'first-new-mac-after-power-on' });
  });

  it('never captures a MAC that already belongs to a node', () => {
    const capture = new MacCapture((mac) => mac === '52:54:00:00:00:09');
    capture.start({ nodeId: 'n1', systemGuid: null, poweredOnAt: 0 });
    expect(capture.observe(request('52:54:00:00:00:09', null, 10))).toEqual([]);
  });

  it('gives a GUID match precedence over a fallback session waiting at the same time', () => {
    const capture = new MacCapture(() => false);
    capture.start({ nodeId: 'guessing', systemGuid: null, poweredOnAt: 0 });
    capture.start({ nodeId: 'certain', systemGuid: QEMU_UUID, poweredOnAt: 0 });
    const [bound] = capture.observe(request('52:54:00:00:00:02', QEMU_UUID, 10));
    expect(bound?.nodeId).toBe('certain');
    expect(capture.active).toEqual(['guessing']);
  });
});

describe('feedCapture', () => {
  it('passes only PXE requests from the server to the capture and reports bindings', () => {
    let listener: (event: DhcpServerEvent) => void = () => undefined;
    const source = { subscribe: (next: typeof listener) => ((listener = next), () => undefined) };
    const capture = new MacCapture(() => false);
    capture.start({ nodeId: 'n1', systemGuid: QEMU_UUID, poweredOnAt: 0 });
    const bound: CaptureBoundEvent[] = [];
    feedCapture(source, capture, (event) => bound.push(event));
    listener({ type: 'request-ignored', time: new Date(1).toISOString(), interface: 'prov0', mac: '52:54:00:00:00:02', reason: 'unknown-machine' });
    listener(request('52:54:00:00:00:02', QEMU_UUID, 5));
    expect(bound.map((event) => event.mac)).toEqual(['52:54:00:00:00:02']);
  });
});
