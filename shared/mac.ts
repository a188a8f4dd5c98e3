import { z } from 'zod';

/** Six hex pairs separated by colons or dashes, any case: how people and BMCs write MACs. */
const WRITTEN_MAC = /^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$/i;
/** Rackboot's own spelling: lower case, colons. */
const CANONICAL_MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
/** As met in boot URLs: iPXE's ${mac:hexhyp} (52-54-00-12-34-56), colons, or bare hex. */
const URL_MAC = /^([0-9a-f]{2}[-:]?){5}[0-9a-f]{2}$/i;

/** Six hex pairs separated by colons or dashes, already trimmed. */
export function isMac(value: string): boolean {
  return WRITTEN_MAC.test(value);
}

/** True for a MAC already in Rackboot's spelling. */
export function isCanonicalMac(value: string): boolean {
  return CANONICAL_MAC.test(value);
}

/** Lower-case, colon-separated: the one spelling of a MAC address inside Rackboot (of a MAC `isMac` accepted). */
export function normalizeMac(mac: string): string {
  return mac.trim().toLowerCase().replace(/-/g, ':');
}

/** A MAC as a boot URL spells it, in Rackboot's spelling; null when `text` is not a 48-bit MAC. */
export function parseMac(text: string): string | null {
  if (!URL_MAC.test(text)) return null;
  return text.toLowerCase().replace(/[-:]/g, '').match(/../g)!.join(':');
}

/** The hyphenated form iPXE prints for ${mac:hexhyp}; safe in a URL path. */
export function macHexhyp(mac: string): string {
  return mac.replace(/:/g, '-');
}

/** A MAC typed or imported by a person: checked, then stored in Rackboot's spelling. */
export const macSchema = z
  .string()
  .trim()
  .refine(isMac, { message: 'MAC must look like 00:1b:24:78:4c:b2' })
  .transform(normalizeMac);

/** A MAC Rackboot itself wrote (events, leases): already in its spelling. */
export const canonicalMacSchema = z.string().regex(CANONICAL_MAC);
export type MacAddress = z.infer<typeof canonicalMacSchema>;
