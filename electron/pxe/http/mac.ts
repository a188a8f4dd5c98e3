// MAC address spellings met in boot URLs: iPXE's ${mac:hexhyp} (52-54-00-12-34-56), colons, or bare hex.

/** Lower-case, colon-separated form, or null when `text` is not a 48-bit MAC. */
export function normalizeMac(text: string): string | null {
  const hex = text.toLowerCase().replace(/[-:]/g, '');
  if (!/^[0-9a-f]{12}$/.test(hex)) return null;
  if (!/^([0-9a-f]{2}[-:]?){5}[0-9a-f]{2}$/.test(text.toLowerCase())) return null;
  return hex.match(/../g)?.join(':') ?? null;
}

/** The hyphenated form iPXE prints for ${mac:hexhyp}; safe in a URL path. */
export function macHexhyp(mac: string): string {
  return mac.replace(/:/g, '-');
}
