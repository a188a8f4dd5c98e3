import { z } from 'zod';
import { ipv4CidrSchema } from './ipv4';
import { bootDeviceRequestSchema, chassisActionSchema, deviceIdSchema, discoveredIpmiBmcSchema } from './ipmi';
import { bmcAddressSchema, bmcPasswordSchema, bmcUserSchema, portSchema } from './nodes';
import { bmcProtocolSchema, bmcProtocolSeenSchema, redfishSystemIdSchema, tlsCertificateSchema, tlsTrustSchema } from './redfish';

export const ipmiTestResultSchema = z.object({
  protocol: z.literal('ipmi'),
  deviceId: deviceIdSchema,
  systemGuid: z.string().nullable(),
  powerOn: z.boolean(),
  cipherSuite: z.union([z.literal(3), z.literal(17)]).nullable(),
});

/**
 * What a Redfish connection test found. Until the certificate is trusted (`trust` other than `trusted`) nothing but
 * the TLS handshake and the anonymous service root happened: `system` is null and no password was sent.
 */
export const redfishTestResultSchema = z.object({
  protocol: z.literal('redfish'),
  certificate: tlsCertificateSchema.nullable(),
  trust: z.enum(['trusted', 'untrusted', 'changed']),
  /** The fingerprint trusted so far, when the certificate changed. */
  pinnedSha256: z.string().nullable(),
  redfishVersion: z.string().nullable(),
  system: z
    .object({
      path: z.string(),
      manufacturer: z.string().nullable(),
      model: z.string().nullable(),
      serialNumber: z.string().nullable(),
      biosVersion: z.string().nullable(),
      powerState: z.string().nullable(),
      bootTargets: z.array(z.string()).nullable(),
      vendor: z.string(),
      /** session: X-Auth-Token; basic: HTTP Basic on every request (the service has no SessionService). */
      auth: z.enum(['session', 'basic']),
    })
    .nullable(),
  systemGuid: z.string().nullable(),
  powerOn: z.boolean().nullable(),
});

export const bmcTestResultSchema = z.discriminatedUnion('protocol', [ipmiTestResultSchema, redfishTestResultSchema]);
export type BmcTestResult = z.infer<typeof bmcTestResultSchema>;
export type RedfishTestResult = z.infer<typeof redfishTestResultSchema>;

export const bmcCredentialsSchema = z.object({
  address: bmcAddressSchema,
  port: portSchema.default(623),
  user: bmcUserSchema,
  password: bmcPasswordSchema,
  protocol: bmcProtocolSchema.default('ipmi'),
  redfishPort: portSchema.default(443),
  redfishSystemId: redfishSystemIdSchema.nullable().default(null),
  tlsTrust: tlsTrustSchema.nullable().default(null),
});
export type BmcCredentialsInput = z.input<typeof bmcCredentialsSchema>;

export const powerRequestSchema = z.object({ nodeId: z.string().min(1), action: chassisActionSchema });
/** The IPMI boot-device request, for one enrolled node. */
export const nodeBootDeviceRequestSchema = bootDeviceRequestSchema.extend({ nodeId: z.string().min(1) });

/** A subnet to scan for BMCs: no larger than a /16, as discovery tries every address in it. */
export const discoverySubnetSchema = ipv4CidrSchema({ min: 16, max: 32 }, '10.1.91.0/24');

export const discoverRequestSchema = z.object({
  cidr: discoverySubnetSchema,
  /** IPMI's UDP port. */
  port: portSchema.default(623),
  /** Where Redfish (HTTPS) is asked for its service root. */
  redfishPort: portSchema.default(443),
});

/** What a Redfish service told a discovery scan: its anonymous service root, and the certificate it showed (not trusted yet). */
export const discoveredRedfishSchema = z.object({
  port: z.number().int(),
  redfishVersion: z.string().nullable(),
  vendor: z.string().nullable(),
  product: z.string().nullable(),
  certificate: tlsCertificateSchema.nullable(),
});
export type DiscoveredRedfish = z.infer<typeof discoveredRedfishSchema>;

/** One BMC address a discovery scan found, with each protocol that answered there. */
export const discoveredBmcSchema = z.object({
  address: z.string(),
  /** The protocols that answered, Redfish first (the order `auto` tries them). */
  protocols: z.array(bmcProtocolSeenSchema).min(1),
  ipmi: discoveredIpmiBmcSchema.omit({ address: true }).nullable(),
  redfish: discoveredRedfishSchema.nullable(),
});
export type DiscoveredBmc = z.infer<typeof discoveredBmcSchema>;

export const consoleOutputSchema = z.object({ nodeId: z.string(), data: z.string() });
export type ConsoleOutput = z.infer<typeof consoleOutputSchema>;
