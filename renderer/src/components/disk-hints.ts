import type { InventoryDisk, RootDeviceHints } from '../../../shared/inventory';

/**
 * The hint that keeps pointing at this disk whatever the kernel calls it next boot: its WWN or serial when no other
 * disk of the server shares it, else the slot it sits in (by-path), and its kernel name only when nothing else tells
 * it apart.
 */
export function hintsForDisk(disk: InventoryDisk, disks: readonly InventoryDisk[]): RootDeviceHints {
  const uniqueValue = (field: 'wwn' | 'serial'): string | null => {
    const value = disk[field]?.trim();
    if (!value) return null;
    const holders = disks.filter((other) => other[field]?.trim().toLowerCase() === value.toLowerCase());
    return holders.length === 1 ? value : null;
  };
  const wwn = uniqueValue('wwn');
  if (wwn) return { wwn };
  const serial = uniqueValue('serial');
  if (serial) return { serial };
  if (disk.byPath) return { byPath: disk.byPath };
  return { name: disk.name };
}

/** The typed hints form: every field as text, rotational as a choice. */
export interface HintFields {
  name: string;
  byPath: string;
  size: string;
  model: string;
  vendor: string;
  serial: string;
  wwn: string;
  hctl: string;
  rotational: 'any' | 'yes' | 'no';
}

export const HINT_TEXT_FIELDS = ['name', 'byPath', 'size', 'model', 'vendor', 'serial', 'wwn', 'hctl'] as const;

export function hintFields(hints: RootDeviceHints | null): HintFields {
  return {
    name: hints?.name ?? '',
    byPath: hints?.byPath ?? '',
    size: hints?.size ?? '',
    model: hints?.model ?? '',
    vendor: hints?.vendor ?? '',
    serial: hints?.serial ?? '',
    wwn: hints?.wwn ?? '',
    hctl: hints?.hctl ?? '',
    rotational: hints?.rotational === undefined ? 'any' : hints.rotational ? 'yes' : 'no',
  };
}

/** The form as hints to check with the schema: blank fields left out, so an empty form means the default rule. */
export function hintsFromFields(fields: HintFields): Record<string, string | boolean> {
  const hints: Record<string, string | boolean> = {};
  for (const key of HINT_TEXT_FIELDS) if (fields[key].trim() !== '') hints[key] = fields[key].trim();
  if (fields.rotational !== 'any') hints.rotational = fields.rotational === 'yes';
  return hints;
}
