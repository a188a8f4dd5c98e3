import { z } from 'zod';
import { cleaningSchema, rootDeviceHintsSchema } from './inventory';
import { IPV4_PATTERN } from './ipv4';
import { instanceSettingsSchema } from './instance';
import { macSchema } from './mac';
import { bmcProtocolSchema, bmcProtocolSeenSchema, redfishSystemIdSchema, tlsTrustSchema, type BmcProtocol } from './redfish';
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** An IPv4 address or a host name, already trimmed. */
export function isBmcAddress(value: string): boolean {
  return /^[\d.]+$/.test(value) ? IPV4_PATTERN.test(value) : HOSTNAME.test(value);
}

export const bmcAddressSchema = z.string().trim().refine(isBmcAddress, {
  message: 'BMC address must be an IPv4 address (like 10.1.91.4) or a host name',
});

export const portSchema = z.number().int().min(1, 'port must be 1–65535').max(65535, 'port must be 1–65535');

/** C0 controls (NUL, tab, newline, escape…), DEL and C1 controls: no BMC takes them, and a NUL cuts the field short. */
// eslint-disable-next-line no-control-regex -- finding control characters is this pattern's job
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROL_CHARACTERS = new RegExp(CONTROL_CHARACTER.source, 'g');

/** The text with each control character shown as U+FFFD, for quoting a field in a report. */
export function withControlCharactersShown(text: string): string {
  return text.replace(CONTROL_CHARACTERS, '\uFFFD');
}

/** Bytes of the UTF-8 encoding, counted without encoding (an import checks tens of thousands of fields). */
function utf8Length(text: string): number {
  let bytes = 0;
  for (const character of text) {
    const code = character.codePointAt(0)!;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/** IPMI 2.0's limits (RAKP carries 16 bytes of user name; the key is the password padded to 20 bytes). */
export const IPMI_MAX_USER_BYTES = 16;
export const IPMI_MAX_PASSWORD_BYTES = 20;
/** Redfish has no limit of its own; BMCs allow 16–40 characters. This bounds what is stored and sent. */
const REDFISH_MAX_CREDENTIAL_BYTES = 255;

/**
 * What is wrong with a BMC user name, or null. IPMI counts user names in bytes, and non-ASCII characters take several;
 * a node driven over Redfish (or auto, which tries Redfish first) may have a longer one.
 */
export function bmcUserProblem(user: string, protocol: BmcProtocol = 'ipmi'): string | null {
  if (user === '') return 'BMC user is required';
  if (protocol === 'ipmi' && utf8Length(user) > IPMI_MAX_USER_BYTES) {
    return 'IPMI user names are at most 16 bytes (16 plain characters, fewer with accents); a longer one needs the Redfish protocol';
  }
  if (utf8Length(user) > REDFISH_MAX_CREDENTIAL_BYTES) return 'BMC user names are at most 255 bytes';
  if (CONTROL_CHARACTER.test(user)) {
    return 'the BMC user name contains a control character (such as NUL, a tab or a line break): type it again without';
  }
  return null;
}

/** What is wrong with a BMC password, or null; the message never repeats the password. */
export function bmcPasswordProblem(password: string, protocol: BmcProtocol = 'ipmi'): string | null {
  if (protocol === 'ipmi' && utf8Length(password) > IPMI_MAX_PASSWORD_BYTES) {
    return 'IPMI 2.0 passwords are at most 20 bytes (20 plain characters, fewer with accents); a longer one needs the Redfish protocol';
  }
  if (utf8Length(password) > REDFISH_MAX_CREDENTIAL_BYTES) return 'BMC passwords are at most 255 bytes';
  if (CONTROL_CHARACTER.test(password)) {
    return 'the BMC password contains a control character (such as NUL, a tab or a line break), which a BMC does not take: type it again without';
  }
  return null;
}

const refuseWith =
  (problem: (value: string) => string | null) =>
  (value: string, context: z.RefinementCtx): void => {
    const message = problem(value);
    if (message !== null) context.addIssue({ code: 'custom', message });
  };

/** The limits every protocol shares; IPMI's tighter ones are checked with the node's protocol (credentialsProblem). */
export const bmcUserSchema = z.string().superRefine(refuseWith((user) => bmcUserProblem(user, 'redfish')));
export const bmcPasswordSchema = z.string().superRefine(refuseWith((password) => bmcPasswordProblem(password, 'redfish')));

/** Why these credentials cannot drive a node with this protocol, or null; the message never repeats the password. */
export function credentialsProblem(user: string, password: string | null, protocol: BmcProtocol): string | null {
  return bmcUserProblem(user, protocol) ?? (password === null ? null : bmcPasswordProblem(password, protocol));
}

const nodeFields = {
  name: z.string().trim().min(1, 'name is required').max(64, 'name is at most 64 characters'),
  bmcAddress: bmcAddressSchema,
  bmcPort: portSchema,
  bmcUser: bmcUserSchema,
  mac: macSchema.nullable(),
  notes: z.string().max(2000),
  /** Which disk the OS goes to; null: Ironic's default rule (the smallest fixed disk of at least 4 GiB). */
  rootDeviceHints: rootDeviceHintsSchema.nullable(),
  /** The operator confirmed that what the target disk holds may be erased; without it a disk with data is refused. */
  eraseTargetDisk: z.boolean(),
  cleaning: cleaningSchema,
  /** What the installed OS is told through the config drive; null: the image boots as it is, with no config drive. */
  instance: instanceSettingsSchema.nullable(),
  /** How Rackboot talks to the BMC: auto tries Redfish (HTTPS on redfishPort) first, then IPMI (UDP on bmcPort). */
  bmcProtocol: bmcProtocolSchema,
  /** The BMC's HTTPS port for Redfish; bmcPort stays IPMI's. */
  redfishPort: portSchema,
  redfishSystemId: redfishSystemIdSchema.nullable(),
  /** How the BMC's HTTPS certificate is trusted; null: not yet (the next connection test shows it to be trusted). */
  tlsTrust: tlsTrustSchema.nullable(),
};

/** What the operator types to enrol a server. The password is write-only: it never comes back out of the core. */
export const nodeInputSchema = z.object({
  ...nodeFields,
  bmcPort: portSchema.default(623),
  mac: macSchema.nullable().default(null),
  notes: z.string().max(2000).default(''),
  rootDeviceHints: rootDeviceHintsSchema.nullable().default(null),
  eraseTargetDisk: z.boolean().default(false),
  cleaning: cleaningSchema.default('none'),
  instance: instanceSettingsSchema.nullable().default(null),
  bmcProtocol: bmcProtocolSchema.default('auto'),
  redfishPort: portSchema.default(443),
  redfishSystemId: redfishSystemIdSchema.nullable().default(null),
  tlsTrust: tlsTrustSchema.nullable().default(null),
  bmcPassword: bmcPasswordSchema,
});
export type NodeInput = z.input<typeof nodeInputSchema>;

/** A change to an enrolled node; an absent bmcPassword keeps the stored one. */
export const nodeUpdateSchema = z.object({
  id: z.string().min(1),
  changes: z
    .object({ ...nodeFields, bmcPassword: bmcPasswordSchema })
    .partial(),
});
export type NodeUpdate = z.input<typeof nodeUpdateSchema>;

/** A node as the renderer sees it: everything but the password. */
export const nodeViewSchema = z.object({
  id: z.string(),
  ...nodeFields,
  /** The BMC's System GUID, read at the last connection test; the PXE ROM sends the same UUID in DHCP option 97. */
  systemGuid: z.string().nullable(),
  /** When the agent last collected this server's inventory (deploy or Inspect); the inventory itself is asked for. */
  inspectedAt: z.string().nullable(),
  /** The protocol that answered at the last connection test (what `auto` resolved to); null before one. */
  bmcProtocolSeen: bmcProtocolSeenSchema.nullable(),
  hasPassword: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type NodeView = z.infer<typeof nodeViewSchema>;

/** The most hardware_info text one import takes (about 1 MB). */
export const HARDWARE_INFO_MAX_CHARACTERS = 1_000_000;

/** A longer text is refused with the line the limit falls in, so the operator knows where to split the file. */
export const hardwareInfoTextSchema = z.string().superRefine((text, context) => {
  if (text.length <= HARDWARE_INFO_MAX_CHARACTERS) return;
  const line = text.slice(0, HARDWARE_INFO_MAX_CHARACTERS).split('\n').length;
  const limit = HARDWARE_INFO_MAX_CHARACTERS.toLocaleString('en-US');
  context.addIssue({
    code: 'custom',
    message:
      line === 1
        ? `the first line alone is longer than ${limit} characters: this is not a hardware_info file`
        : `the hardware_info text is longer than ${limit} characters; the limit falls in line ${line}: import lines 1–${line - 1} first, then the rest from line ${line}`,
  });
});

export const importProblemSchema = z.object({
  line: z.number().int().min(1),
  text: z.string(),
  reason: z.string(),
});
export type ImportProblem = z.infer<typeof importProblemSchema>;

/** The added servers themselves reach every window as a `nodes.changed` delta; the answer only counts them. */
export const importResultSchema = z.object({
  added: z.number().int(),
  problems: z.array(importProblemSchema),
});
export type ImportResult = z.infer<typeof importResultSchema>;

/**
 * What the operator chooses in the export dialog; passwords stay out unless they tick the box. `hardware_info` is
 * DevStack's line format (BMC and MAC only); `rackboot-nodes` is Rackboot's own JSON Lines export, one server per
 * line with its name, notes, disk choice, cleaning and latest inventory, which `nodes.importNodeLines` takes back.
 */
export const exportRequestSchema = z.object({
  includePasswords: z.boolean().default(false),
  format: z.enum(['hardware_info', 'rackboot-nodes']).default('hardware_info'),
});

/** The most text one `nodes.importNodeLines` call takes; the wizard sends a larger file in parts of whole lines. */
export const NODE_LINES_PART_CHARACTERS = 1_000_000;

/**
 * A file of lines cut into parts of at most `maxCharacters`, each of whole lines and numbered by its first line, so
 * an import reports every problem by its line in the whole file. A single line longer than the limit is a part of
 * its own (the core refuses it, naming the line).
 */
export function linesInParts(text: string, maxCharacters = NODE_LINES_PART_CHARACTERS): { text: string; firstLine: number }[] {
  const parts: { text: string; firstLine: number }[] = [];
  const lines = text.split(/\r?\n/);
  let current: string[] = [];
  let size = 0;
  let firstLine = 1;
  lines.forEach((line, index) => {
    if (current.length > 0 && size + line.length + 1 > maxCharacters) {
      parts.push({ text: current.join('\n'), firstLine });
      current = [];
      size = 0;
      firstLine = index + 1;
    }
    current.push(line);
    size += line.length + 1;
  });
  if (current.some((line) => line.trim() !== '')) parts.push({ text: current.join('\n'), firstLine });
  return parts;
}

export const nodeLinesPartSchema = z.object({
  text: z
    .string()
    .max(
      NODE_LINES_PART_CHARACTERS,
      `a part of an import is at most ${NODE_LINES_PART_CHARACTERS.toLocaleString('en-US')} characters: one line of the file is longer than any export writes`,
    ),
  /** The number of the part's first line in the whole file. */
  firstLine: z.number().int().min(1).default(1),
});

/**
 * Where the exported file went. The file itself never travels through the API: the desktop app writes it where the
 * save dialog says; in a browser the page follows `url` (a one-time download from the headless server).
 */
export const exportDeliverySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('saved'), path: z.string() }),
  z.object({ kind: z.literal('download'), url: z.string() }),
  z.object({ kind: z.literal('cancelled') }),
]);
export type ExportDelivery = z.infer<typeof exportDeliverySchema>;

export const exportResultSchema = z.object({
  delivery: exportDeliverySchema,
  /** Servers written to the file. */
  exported: z.number().int(),
  passwordsIncluded: z.boolean(),
  skipped: z.array(z.object({ name: z.string(), reason: z.string() })),
});
export type ExportResult = z.infer<typeof exportResultSchema>;

/**
 * A change to the inventory as every window receives it: only the nodes that changed. `revision` counts the changes
 * of this run one by one, so a window that sees a number skipped knows it missed one and reloads the list.
 */
export const nodeDeltaSchema = z.object({
  revision: z.number().int(),
  added: z.array(nodeViewSchema),
  changed: z.array(nodeViewSchema),
  removed: z.array(z.string()),
});
export type NodeDelta = z.infer<typeof nodeDeltaSchema>;
