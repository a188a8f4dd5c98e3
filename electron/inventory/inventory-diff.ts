import type { Inventory, InventoryChange, InventoryDisk, InventoryNic } from '../../shared/inventory';
import {
  describeCpus,
  describeDisk,
  describeDiskContents,
  describeLink,
  describeSwitchPort,
  formatDiskSize,
  formatMemory,
} from '../../shared/inventory-text';

/**
 * What changed between two inspections of one server, as sentences a technician reads: "disk sdb is gone", "NIC eno1
 * moved to switch port Gi1/0/7 on sw-a". Disks are recognised by WWN and serial before their kernel name, which
 * changes with the order the kernel finds them in; NICs by MAC before name.
 */
export function diffInventories(before: Inventory, after: Inventory): InventoryChange[] {
  return [...systemChanges(before, after), ...diskChanges(before.disks, after.disks), ...nicChanges(before.nics, after.nics)];
}

function systemChanges(before: Inventory, after: Inventory): InventoryChange[] {
  const changes: InventoryChange[] = [];
  const { serial: oldSerial, uuid: oldUuid } = before.system;
  const { serial: newSerial, uuid: newUuid } = after.system;
  if (oldSerial !== newSerial || oldUuid !== newUuid) {
    const what = oldSerial !== newSerial ? `serial ${oldSerial ?? 'none'} → ${newSerial ?? 'none'}` : `UUID ${oldUuid ?? 'none'} → ${newUuid ?? 'none'}`;
    changes.push({
      kind: 'system',
      subject: null,
      text: `system ${what}: a different mainboard, or a different server behind this BMC`,
    });
  }
  if (describeCpus(before.cpu) !== describeCpus(after.cpu)) {
    changes.push({ kind: 'cpu', subject: null, text: `CPUs ${describeCpus(before.cpu)} → ${describeCpus(after.cpu)}` });
  }
  if (before.memoryBytes !== after.memoryBytes) {
    changes.push({ kind: 'memory', subject: null, text: `memory ${formatMemory(before.memoryBytes)} → ${formatMemory(after.memoryBytes)}` });
  }
  if (before.bootMode !== after.bootMode) {
    changes.push({ kind: 'boot-mode', subject: null, text: `boot mode ${bootModeWord(before.bootMode)} → ${bootModeWord(after.bootMode)}` });
  }
  return changes;
}

function bootModeWord(mode: Inventory['bootMode']): string {
  return mode === 'uefi' ? 'UEFI' : 'BIOS';
}

function diskChanges(before: InventoryDisk[], after: InventoryDisk[]): InventoryChange[] {
  const { pairs, gone, added } = pairUp(before, after, [
    { value: (disk) => disk.wwn },
    { value: (disk) => disk.serial },
    { value: (disk) => disk.name, unless: differentDisks },
  ]);
  const changes: InventoryChange[] = [];
  for (const disk of gone) {
    changes.push({ kind: 'disk-removed', subject: disk.name, text: `disk ${disk.name} is gone (${describeDisk(disk)})` });
  }
  for (const [old, now] of pairs) {
    if (old.name !== now.name) {
      changes.push({ kind: 'disk-renamed', subject: now.name, text: `disk ${old.name} is now called ${now.name} (${describeDisk(now)})` });
    }
    if (old.sizeBytes !== now.sizeBytes) {
      changes.push({
        kind: 'disk-resized',
        subject: now.name,
        text: `disk ${now.name} is now ${formatDiskSize(now.sizeBytes)} (was ${formatDiskSize(old.sizeBytes)})`,
      });
    }
    const oldContents = describeDiskContents(old);
    const newContents = describeDiskContents(now);
    if (oldContents !== newContents) {
      changes.push({ kind: 'disk-contents', subject: now.name, text: `disk ${now.name} now holds ${newContents} (was ${oldContents})` });
    }
  }
  for (const disk of added) {
    changes.push({ kind: 'disk-added', subject: disk.name, text: `new disk ${disk.name} (${describeDisk(disk)})` });
  }
  return changes;
}

function nicChanges(before: InventoryNic[], after: InventoryNic[]): InventoryChange[] {
  const { pairs, gone, added } = pairUp(before, after, [{ value: (nic) => nic.mac }]);
  const changes: InventoryChange[] = [];
  for (const nic of gone) changes.push({ kind: 'nic-removed', subject: nic.name, text: `NIC ${nic.name} (${nic.mac}) is gone` });
  for (const [old, now] of pairs) {
    if (old.name !== now.name) {
      changes.push({ kind: 'nic-renamed', subject: now.name, text: `NIC ${old.name} (${now.mac}) is now called ${now.name}` });
    }
    if (old.hasLink !== now.hasLink || (now.hasLink && old.speedMbps !== now.speedMbps)) {
      changes.push({ kind: 'nic-link', subject: now.name, text: `NIC ${now.name}: ${describeLink(now)} (was ${describeLink(old)})` });
    }
    const moved = lldpMove(old, now);
    if (moved) changes.push({ kind: 'nic-moved', subject: now.name, text: moved });
  }
  for (const nic of added) {
    const where = nic.lldp ? `, on switch port ${describeSwitchPort(nic.lldp)}` : '';
    changes.push({ kind: 'nic-added', subject: nic.name, text: `new NIC ${nic.name} (${nic.mac}, ${describeLink(nic)}${where})` });
  }
  return changes;
}

/** The sentence for a NIC whose LLDP neighbour changed, or null when it sees the same switch port (or none, as before). */
function lldpMove(old: InventoryNic, now: InventoryNic): string | null {
  const before = old.lldp;
  const after = now.lldp;
  if (before && after) {
    if (before.chassisId === after.chassisId && before.portId === after.portId) return null;
    return `NIC ${now.name} moved to switch port ${describeSwitchPort(after)} (was ${describeSwitchPort(before)})`;
  }
  if (after) return `NIC ${now.name} is on switch port ${describeSwitchPort(after)} (no switch announced itself before)`;
  if (before) return `NIC ${now.name} no longer hears a switch (was on ${describeSwitchPort(before)})`;
  return null;
}

/** Two disks whose WWNs or serials are both known and differ are two disks, whatever the kernel named them now. */
function differentDisks(a: InventoryDisk, b: InventoryDisk): boolean {
  const differ = (x: string | null, y: string | null): boolean => Boolean(x?.trim() && y?.trim() && x.trim().toLowerCase() !== y.trim().toLowerCase());
  return differ(a.wwn, b.wwn) || differ(a.serial, b.serial);
}

type Key<T> = (item: T) => string | null;

/**
 * Pairs the items of two lists by the first key that tells them apart: a key pairs two items only when its value is
 * set and found once on each side (two disks sharing a blank or a cloned serial fall through to the next key), and
 * never two items its `unless` tells apart.
 */
function pairUp<T>(
  before: T[],
  after: T[],
  keys: { value: Key<T>; unless?: (a: T, b: T) => boolean }[],
): { pairs: [T, T][]; gone: T[]; added: T[] } {
  let unpairedBefore = [...before];
  let unpairedAfter = [...after];
  const pairs: [T, T][] = [];
  for (const { value: key, unless } of keys) {
    const beforeByKey = uniqueBy(unpairedBefore, key);
    const afterByKey = uniqueBy(unpairedAfter, key);
    const paired = new Set<T>();
    for (const [value, old] of beforeByKey) {
      const now = afterByKey.get(value);
      if (now === undefined || unless?.(old, now)) continue;
      pairs.push([old, now]);
      paired.add(old).add(now);
    }
    unpairedBefore = unpairedBefore.filter((item) => !paired.has(item));
    unpairedAfter = unpairedAfter.filter((item) => !paired.has(item));
  }
  pairs.sort(([, a], [, b]) => after.indexOf(a) - after.indexOf(b));
  return { pairs, gone: unpairedBefore, added: unpairedAfter };
}

/** The items by their key's value, leaving out blank values and values more than one item shares. */
function uniqueBy<T>(items: T[], key: Key<T>): Map<string, T> {
  const found = new Map<string, T | null>();
  for (const item of items) {
    const value = key(item)?.trim().toLowerCase();
    if (!value) continue;
    found.set(value, found.has(value) ? null : item);
  }
  const unique = new Map<string, T>();
  for (const [value, item] of found) if (item !== null) unique.set(value, item);
  return unique;
}
