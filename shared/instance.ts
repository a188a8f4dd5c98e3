import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { IPV4_PATTERN } from './ipv4';

/**
 * What the installed OS of one node is told about itself through the config drive (OpenStack `config-2`, read by
 * cloud-init's ConfigDrive datasource), and how Rackboot tells that it answers once deployed.
 */

/** RFC 1123 host name: labels of letters, digits and inner hyphens, dot-separated, 253 characters at most. */
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** One OpenSSH public key line: type, base64 body, optional comment. Options (`command=…`) are not a public key file's. */
const SSH_PUBLIC_KEY = /^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\r\n]*)?$/;

export const MAX_SSH_KEYS = 32;
export const MAX_SSH_KEY_LENGTH = 16 * 1024;
/** cloud-init reads user-data of any size, but a config drive is a small partition: 64 KiB is plenty for a #cloud-config. */
export const MAX_USER_DATA_BYTES = 64 * 1024;

const ipv4 = (what: string) => z.string().trim().refine((value) => IPV4_PATTERN.test(value), { message: `${what} must be an IPv4 address like 10.0.0.7` });

export const hostnameSchema = z
  .string()
  .trim()
  .refine((value) => HOSTNAME.test(value), {
    message: 'host name: letters, digits and hyphens (not first or last), labels joined by dots, like web-07 or web-07.example.com',
  });

export const sshPublicKeySchema = z
  .string()
  .trim()
  .max(MAX_SSH_KEY_LENGTH, `an SSH public key is at most ${MAX_SSH_KEY_LENGTH} characters`)
  .refine((value) => SSH_PUBLIC_KEY.test(value), {
    message: 'not an OpenSSH public key line (like "ssh-ed25519 AAAA… user@laptop"): paste the .pub file, not the private key',
  });

export const staticNetworkSchema = z
  .object({
    kind: z.literal('static'),
    address: ipv4('the address'),
    prefixLength: z.number().int().min(1, 'prefix length 1–32').max(32, 'prefix length 1–32'),
    gateway: ipv4('the gateway').nullable(),
    dns: z.array(ipv4('a DNS server')).max(3, 'at most 3 DNS servers (the resolver reads no more)'),
  })
  .superRefine((network, context) => {
    if (network.gateway !== null && network.gateway === network.address) {
      context.addIssue({ code: 'custom', path: ['gateway'], message: 'the gateway cannot be the server’s own address' });
    }
    if (network.gateway !== null && !sameSubnet(network.address, network.gateway, network.prefixLength)) {
      context.addIssue({ code: 'custom', path: ['gateway'], message: `the gateway ${network.gateway} is not in ${network.address}/${network.prefixLength}` });
    }
  });

export const instanceNetworkSchema = z.union([z.object({ kind: z.literal('dhcp') }), staticNetworkSchema]);
export type InstanceNetwork = z.infer<typeof instanceNetworkSchema>;

/**
 * How Rackboot knows the installed OS is up: the SSH banner on port 22 at its address (the static one, or the lease
 * Rackboot's DHCP gave its MAC), or a login prompt on the serial console, read over Serial-over-LAN.
 */
export const upSignalSchema = z.union([
  z.object({ kind: z.literal('ssh') }),
  z.object({
    kind: z.literal('serial'),
    console: z.enum(['ttyS0', 'ttyS1']),
    speed: z.union([z.literal(9600), z.literal(19200), z.literal(38400), z.literal(57600), z.literal(115200)]),
  }),
]);
export type UpSignal = z.infer<typeof upSignalSchema>;

/** Where a `#cloud-config` user-data fails to parse as YAML, or null when it parses (or is not a #cloud-config). */
export function cloudConfigProblem(userData: string): string | null {
  if (!/^#cloud-config[ \t]*\r?\n?/.test(userData)) return null;
  // The line counter gives every error its position; without it (prettyErrors off) errors carry only a byte offset.
  const lines = new LineCounter();
  const document = parseDocument(userData, { prettyErrors: false, lineCounter: lines });
  const error = document.errors[0];
  if (error) {
    const at = lines.linePos(error.pos[0]);
    const where = `line ${at.line}, column ${at.col}`;
    return `user-data is not valid YAML at ${where}: ${error.message.split('\n')[0]}`;
  }
  const value: unknown = document.toJS();
  if (value !== null && (typeof value !== 'object' || Array.isArray(value))) {
    return 'a #cloud-config must be a YAML mapping (keys like "packages:" or "runcmd:"), not a list or a single value';
  }
  return null;
}

export const userDataSchema = z
  .string()
  .refine((value) => new TextEncoder().encode(value).length <= MAX_USER_DATA_BYTES, { message: `user-data is at most ${MAX_USER_DATA_BYTES / 1024} KiB` })
  .superRefine((value, context) => {
    const problem = cloudConfigProblem(value);
    if (problem) context.addIssue({ code: 'custom', message: problem });
  });

export const instanceSettingsSchema = z.object({
  hostname: hostnameSchema,
  sshKeys: z.array(sshPublicKeySchema).max(MAX_SSH_KEYS, `at most ${MAX_SSH_KEYS} SSH keys`),
  network: instanceNetworkSchema,
  /** Handed to cloud-init as is: a #cloud-config (checked as YAML here), a script, or empty. */
  userData: userDataSchema,
  upSignal: upSignalSchema,
});
export type InstanceSettings = z.infer<typeof instanceSettingsSchema>;

/** What the wizard offers for a node that has none yet: works for a stock cloud image on a DHCP network. */
export const DEFAULT_INSTANCE_SETTINGS = (hostname: string): InstanceSettings => ({
  hostname,
  sshKeys: [],
  network: { kind: 'dhcp' },
  userData: '',
  upSignal: { kind: 'ssh' },
});

/** The laptop's public keys the core found (`~/.ssh/*.pub`), for the wizard's one-click pick. */
export const laptopSshKeySchema = z.object({ file: z.string(), key: z.string(), comment: z.string() });
export type LaptopSshKey = z.infer<typeof laptopSshKeySchema>;

function toNumber(address: string): number {
  return address.split('.').reduce((value, part) => value * 256 + Number(part), 0);
}

function sameSubnet(a: string, b: string, prefixLength: number): boolean {
  if (!IPV4_PATTERN.test(a) || !IPV4_PATTERN.test(b)) return true;
  const size = 2 ** (32 - prefixLength);
  return Math.floor(toNumber(a) / size) === Math.floor(toNumber(b) / size);
}
