import type { ServiceRoot, SystemFacts } from './payloads';

/**
 * The BMC families whose Redfish differs in ways the deploy meets, told from what the service says about itself.
 * Every rule is written up, with its source, in docs/redfish.md.
 */
export type BmcVendor = 'dell' | 'hpe' | 'lenovo' | 'supermicro' | 'other';

export function vendorOf(root: Pick<ServiceRoot, 'vendor' | 'product'>, system: Pick<SystemFacts, 'manufacturer' | 'oemKeys'> | null): BmcVendor {
  const words = [root.vendor, root.product, system?.manufacturer, ...(system?.oemKeys ?? [])].filter(Boolean).join(' ').toLowerCase();
  if (/\bdell\b|idrac/.test(words)) return 'dell';
  if (/\bhpe?\b|hewlett|ilo/.test(words)) return 'hpe';
  if (/lenovo|xclarity|\bxcc\b/.test(words)) return 'lenovo';
  if (/supermicro/.test(words)) return 'supermicro';
  return 'other';
}

export interface Quirks {
  /**
   * Send BootSourceOverrideMode with every boot override, even unchanged: Supermicro falls back to its default mode
   * (often Legacy) when a PATCH leaves it out.
   */
  alwaysSendBootMode: boolean;
  /** PATCH on the system needs If-Match with its ETag (Supermicro X11/X12, some iLO 5): 412/428 without. */
  patchNeedsEtag: boolean;
  /** Reset "On" on a system already on is an error, not a no-op (iDRAC, XCC): read the state first. */
  onWhileOnFails: boolean;
}

const NONE: Quirks = { alwaysSendBootMode: false, patchNeedsEtag: false, onWhileOnFails: false };

export function quirksOf(vendor: BmcVendor): Quirks {
  switch (vendor) {
    case 'supermicro':
      return { ...NONE, alwaysSendBootMode: true, patchNeedsEtag: true };
    case 'hpe':
      return { ...NONE, patchNeedsEtag: true };
    case 'dell':
      return { ...NONE, onWhileOnFails: true };
    case 'lenovo':
      return { ...NONE, onWhileOnFails: true };
    default:
      return NONE;
  }
}
