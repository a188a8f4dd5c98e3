import {
  bmcPasswordProblem,
  bmcUserProblem,
  isBmcAddress,
  withControlCharactersShown,
  type ImportProblem,
} from '../../shared/nodes';
import { isMac, normalizeMac } from '../../shared/mac';
import { redfishSystemIdSchema, type BmcProtocol } from '../../shared/redfish';

/**
 * One server as DevStack's hardware_info file describes it: `IP MAC USER PASS`, and for its Redfish driver a fifth
 * field, the ComputerSystem's path (`/redfish/v1/Systems/1`). Four fields say nothing of the protocol: such a server
 * is tried with Redfish, then IPMI.
 */
export interface HardwareInfoEntry {
  line: number;
  bmcAddress: string;
  mac: string;
  bmcUser: string;
  bmcPassword: string;
  bmcProtocol: BmcProtocol;
  redfishSystemId: string | null;
}

export interface HardwareInfoParse {
  entries: HardwareInfoEntry[];
  problems: ImportProblem[];
}

/** What an export without passwords writes in the password column; an import refuses it rather than enrol it. */
export const PASSWORD_PLACEHOLDER = '********';

const HIDDEN = '********';
const SHOWN_FIELD_LENGTH = 40;

/** A field as a report may quote it: control characters made visible, and no longer than a line of the report needs. */
function printable(field: string): string {
  const visible = withControlCharactersShown(field);
  return visible.length > SHOWN_FIELD_LENGTH ? `${visible.slice(0, SHOWN_FIELD_LENGTH)}…` : visible;
}

/**
 * A line as a problem report shows it. Only the first two fields of a four-field line are shown (the BMC address and
 * the MAC): any other field may be a password, or part of one — with a field missing, or a password with a space in
 * it, the password lands in the user's column or beyond. The line number tells the operator which line it is.
 */
function reportedLine(fields: string[]): string {
  if (fields.length !== 4 && fields.length !== 5) return fields.map(() => HIDDEN).join(' ');
  return [printable(fields[0]!), printable(fields[1]!), ...fields.slice(2).map(() => HIDDEN)].join(' ');
}

/** Why a four-field line cannot be enrolled, or null when it can. Only the address and the MAC are ever quoted. */
function lineProblem(address: string, mac: string, user: string, password: string): string | null {
  if (!isBmcAddress(address)) return `"${printable(address)}" is not an IPv4 address or host name`;
  if (!isMac(mac)) return `"${printable(mac)}" is not a MAC address (like 00:1B:24:78:4C:B2)`;
  if (password === PASSWORD_PLACEHOLDER) {
    return `the password is the ${PASSWORD_PLACEHOLDER} an export without passwords writes: put the BMC's password in its place`;
  }
  return bmcUserProblem(user) ?? bmcPasswordProblem(password);
}

/** One line of hardware_info: a server, a problem, or nothing (blank and # lines). */
export function parseHardwareInfoLine(raw: string, line: number): HardwareInfoEntry | ImportProblem | null {
  const trimmed = raw.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return null;
  const fields = trimmed.split(/\s+/);
  if (fields.length !== 4 && fields.length !== 5) {
    return {
      line,
      text: reportedLine(fields),
      reason: `expected 4 fields "IP MAC USER PASS" (or a fifth, the Redfish system id), found ${fields.length}`,
    };
  }
  const [address, mac, user, password, systemId] = fields as [string, string, string, string, string | undefined];
  const reason =
    lineProblem(address, mac, user, password) ??
    (systemId !== undefined && !redfishSystemIdSchema.safeParse(systemId).success
      ? 'the fifth field is not a Redfish system id (like /redfish/v1/Systems/1); a password with a space cannot be imported'
      : null);
  if (reason !== null) return { line, text: reportedLine(fields), reason };
  return {
    line,
    bmcAddress: address,
    mac: normalizeMac(mac),
    bmcUser: user,
    bmcPassword: password,
    bmcProtocol: systemId === undefined ? 'auto' : 'redfish',
    redfishSystemId: systemId ?? null,
  };
}

/** The lines of a hardware_info text, numbered from 1 by their index + 1. */
export function hardwareInfoLines(text: string): string[] {
  return text.split(/\r?\n/);
}

/** Parses hardware_info text; bad lines are reported by number and the good ones kept. */
export function parseHardwareInfo(text: string): HardwareInfoParse {
  const entries: HardwareInfoEntry[] = [];
  const problems: ImportProblem[] = [];
  hardwareInfoLines(text).forEach((raw, index) => {
    const parsed = parseHardwareInfoLine(raw, index + 1);
    if (parsed === null) return;
    if ('reason' in parsed) problems.push(parsed);
    else entries.push(parsed);
  });
  return { entries, problems };
}

/** An entry as a report may show it, for problems found after parsing (a server already enrolled). */
export function reportedEntry(entry: HardwareInfoEntry): string {
  return [entry.bmcAddress, entry.mac, HIDDEN, HIDDEN].join(' ');
}

export interface HardwareInfoExportable {
  name: string;
  bmcAddress: string;
  mac: string | null;
  bmcUser: string;
  /** Written as the fifth field, which tells DevStack (and an import) to drive the server with Redfish. */
  redfishSystemId?: string | null;
  /** Absent when the export leaves passwords out. */
  bmcPassword?: string;
}

/**
 * Writes hardware_info lines; nodes the format cannot carry (no MAC yet, blanks in the user or the password) are
 * listed. Nodes without their password get the placeholder, under a comment that says so.
 */
export function formatHardwareInfo(nodes: Iterable<HardwareInfoExportable>): {
  text: string;
  exported: number;
  skipped: { name: string; reason: string }[];
} {
  const lines: string[] = [];
  const skipped: { name: string; reason: string }[] = [];
  let placeholders = 0;
  for (const node of nodes) {
    const password = node.bmcPassword;
    if (!node.mac) {
      skipped.push({ name: node.name, reason: 'no MAC address yet: capture it in the MAC step first' });
    } else if (/\s/.test(node.bmcUser) || (password !== undefined && (/\s/.test(password) || password === ''))) {
      skipped.push({ name: node.name, reason: 'the user or password is empty or has spaces, which hardware_info cannot hold' });
    } else {
      if (password === undefined) placeholders += 1;
      const fields = [node.bmcAddress, node.mac, node.bmcUser, password ?? PASSWORD_PLACEHOLDER];
      if (node.redfishSystemId) fields.push(node.redfishSystemId);
      lines.push(fields.join(' '));
    }
  }
  if (placeholders > 0) {
    lines.unshift(`# Exported without passwords: write each BMC's password in place of ${PASSWORD_PLACEHOLDER} before importing.`);
  }
  return { text: lines.length ? `${lines.join('\n')}\n` : '', exported: lines.length - (placeholders > 0 ? 1 : 0), skipped };
}
