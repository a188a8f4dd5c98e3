/**
 * The `.modinfo` section of a kernel module (an ELF64 little-endian relocatable object): NUL-separated `key=value`
 * strings, the same `modinfo` prints. Pure: bytes in, values out, so no kmod is needed to learn what firmware a
 * module asks for.
 */

export class ModuleFormatError extends Error {}

/** Every `key=value` of the module's .modinfo, values of repeated keys in order. */
export function readModuleInfo(module: Uint8Array): Map<string, string[]> {
  const section = modinfoSection(module);
  const info = new Map<string, string[]>();
  for (const entry of new TextDecoder().decode(section).split('\0')) {
    const equals = entry.indexOf('=');
    if (equals <= 0) continue;
    const key = entry.slice(0, equals);
    info.set(key, [...(info.get(key) ?? []), entry.slice(equals + 1)]);
  }
  return info;
}

/** The firmware files a module may ask for (`MODULE_FIRMWARE`), as paths under /lib/firmware. */
export function moduleFirmware(module: Uint8Array): string[] {
  return readModuleInfo(module).get('firmware') ?? [];
}

function modinfoSection(bytes: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (end: number, what: string): void => {
    if (end > bytes.byteLength) throw new ModuleFormatError(`The module is cut short: its ${what} lies past its end.`);
  };
  need(64, 'ELF header');
  if (view.getUint32(0) !== 0x7f454c46) throw new ModuleFormatError('Not an ELF file (a compressed module? unpack it first).');
  if (bytes[4] !== 2 || bytes[5] !== 1) throw new ModuleFormatError('Not a 64-bit little-endian ELF file.');
  const sectionsAt = Number(view.getBigUint64(0x28, true));
  const entrySize = view.getUint16(0x3a, true);
  const count = view.getUint16(0x3c, true);
  const namesIndex = view.getUint16(0x3e, true);
  if (entrySize < 64 || namesIndex >= count) throw new ModuleFormatError('The ELF section table is malformed.');
  need(sectionsAt + count * entrySize, 'section table');
  const header = (index: number): { name: number; offset: number; size: number } => {
    const at = sectionsAt + index * entrySize;
    return { name: view.getUint32(at, true), offset: Number(view.getBigUint64(at + 0x18, true)), size: Number(view.getBigUint64(at + 0x20, true)) };
  };
  const names = header(namesIndex);
  need(names.offset + names.size, 'section names');
  for (let index = 0; index < count; index += 1) {
    const section = header(index);
    if (section.name >= names.size) continue;
    const start = names.offset + section.name;
    const end = bytes.indexOf(0, start);
    if (new TextDecoder().decode(bytes.subarray(start, end)) !== '.modinfo') continue;
    need(section.offset + section.size, '.modinfo section');
    return bytes.subarray(section.offset, section.offset + section.size);
  }
  return new Uint8Array();
}
