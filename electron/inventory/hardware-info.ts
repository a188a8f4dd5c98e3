import { bmcAddressSchema, macSchema, type ImportProblem } from '../../shared/nodes';

/** One server as DevStack's hardware_info file describes it: `IP MAC USER PASS`. */
export interface HardwareInfoEntry {
  line: number;
  bmcAddress: string;
  mac: string;
  bmcUser: string;
  bmcPassword: string;
}

export interface HardwareInfoParse {
  entries: HardwareInfoEntry[];
  problems: ImportProblem[];
}

/** Shows a line in a report without its password field. */
function redactLine(fields: string[]): string {
  return fields.map((field, index) => (index === 3 ? '********' : field)).join(' ');
}

/** Parses hardware_info text; bad lines are reported by number and the good ones kept. Blank and # lines are skipped. */
export function parseHardwareInfo(text: string): HardwareInfoParse {
  const entries: HardwareInfoEntry[] = [];
  const problems: ImportProblem[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const fields = trimmed.split(/\s+/);
    const shown = redactLine(fields);
    if (fields.length !== 4) {
      problems.push({ line, text: shown, reason: `expected 4 fields "IP MAC USER PASS", found ${fields.length}` });
      return;
    }
    const [address, mac, user, password] = fields as [string, string, string, string];
    const parsedAddress = bmcAddressSchema.safeParse(address);
    if (!parsedAddress.success) {
      problems.push({ line, text: shown, reason: `"${address}" is not an IPv4 address or host name` });
      return;
    }
    const parsedMac = macSchema.safeParse(mac);
    if (!parsedMac.success) {
      problems.push({ line, text: shown, reason: `"${mac}" is not a MAC address (like 00:1B:24:78:4C:B2)` });
      return;
    }
    if (user.length > 16) {
      problems.push({ line, text: shown, reason: 'the user name is longer than the 16 characters IPMI allows' });
      return;
    }
    if (password.length > 20) {
      problems.push({ line, text: shown, reason: 'the password is longer than the 20 characters IPMI 2.0 allows' });
      return;
    }
    entries.push({ line, bmcAddress: parsedAddress.data, mac: parsedMac.data, bmcUser: user, bmcPassword: password });
  });
  return { entries, problems };
}

export interface HardwareInfoExportable {
  name: string;
  bmcAddress: string;
  mac: string | null;
  bmcUser: string;
  bmcPassword: string;
}

/** Writes hardware_info lines; nodes the format cannot carry (no MAC yet, blanks in user or password) are listed. */
export function formatHardwareInfo(nodes: HardwareInfoExportable[]): {
  text: string;
  skipped: { name: string; reason: string }[];
} {
  const lines: string[] = [];
  const skipped: { name: string; reason: string }[] = [];
  for (const node of nodes) {
    if (!node.mac) {
      skipped.push({ name: node.name, reason: 'no MAC address yet: capture it in the MAC step first' });
    } else if (/\s/.test(node.bmcUser) || /\s/.test(node.bmcPassword) || node.bmcPassword === '') {
      skipped.push({ name: node.name, reason: 'the user or password is empty or has spaces, which hardware_info cannot hold' });
    } else {
      lines.push(`${node.bmcAddress} ${node.mac} ${node.bmcUser} ${node.bmcPassword}`);
    }
  }
  return { text: lines.length ? `${lines.join('\n')}\n` : '', skipped };
}
