import type { BootSpec, Booter } from '../../electron/pxe/booter';
import { parseMac } from '../../shared/mac';

/** A fixed list of MACs that all boot one spec: the lab harnesses' answer to "what should this MAC boot?". */
export function tableBooter(macs: readonly string[], spec: BootSpec): Booter {
  const booting = new Set(
    macs.map((text) => {
      const mac = parseMac(text);
      if (!mac) throw new Error(`${JSON.stringify(text)} is not a MAC address`);
      return mac;
    }),
  );
  return {
    shouldBoot: (mac) => booting.has(mac),
    bootSpec: (mac) => (booting.has(mac) ? spec : null),
    isClaimed: (mac) => booting.has(mac),
  };
}
