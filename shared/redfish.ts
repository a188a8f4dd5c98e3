import { z } from 'zod';

/**
 * The Redfish side of the contract: which protocol a node's BMC speaks, and how its HTTPS certificate is trusted.
 * Kept free of imports from nodes.ts so that nodes.ts can build on it.
 */

/** auto: Redfish (HTTPS) first, then IPMI over LAN; or one of them only. */
export const bmcProtocolSchema = z.enum(['auto', 'ipmi', 'redfish']);
export type BmcProtocol = z.infer<typeof bmcProtocolSchema>;

/** The protocol that actually answered. */
export const bmcProtocolSeenSchema = z.enum(['ipmi', 'redfish']);
export type BmcProtocolSeen = z.infer<typeof bmcProtocolSeenSchema>;

/** A SHA-256 fingerprint as browsers and openssl show it: 32 upper-case hex pairs joined by colons. */
export const sha256FingerprintSchema = z
  .string()
  .trim()
  .transform((text) => text.toUpperCase())
  .refine((text) => /^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/.test(text), {
    message: 'a SHA-256 fingerprint is 32 hex pairs joined by colons (AB:CD:…)',
  });

/** What a BMC's TLS certificate says about itself, as "Test connection" shows it. */
export const tlsCertificateSchema = z.object({
  /** SHA-256 of the DER certificate: the value a pin compares. */
  sha256: sha256FingerprintSchema,
  subject: z.string().max(1024),
  issuer: z.string().max(1024),
  /** ISO 8601. */
  notBefore: z.string().max(64),
  notAfter: z.string().max(64),
});
export type TlsCertificate = z.infer<typeof tlsCertificateSchema>;

/** The most PEM text a CA bundle may hold (a few dozen certificates). */
export const CA_BUNDLE_MAX_CHARACTERS = 256 * 1024;

/**
 * How a node's BMC certificate is trusted. `pin`: exactly this certificate (trust on first use; a changed certificate
 * is refused until the operator accepts it). `ca`: any certificate for this address signed by one of these CAs.
 */
export const tlsTrustSchema = z.discriminatedUnion('kind', [
  tlsCertificateSchema.extend({ kind: z.literal('pin') }),
  z.object({
    kind: z.literal('ca'),
    pem: z
      .string()
      .max(CA_BUNDLE_MAX_CHARACTERS, 'a CA bundle is at most 256 KiB of PEM')
      .refine((pem) => pem.includes('-----BEGIN CERTIFICATE-----'), 'a CA bundle is PEM text with at least one BEGIN CERTIFICATE block'),
  }),
]);
export type TlsTrust = z.infer<typeof tlsTrustSchema>;

/**
 * The ComputerSystem to drive, as its Redfish path (what Ironic calls redfish_system_id, e.g. /redfish/v1/Systems/1);
 * null: the BMC's only system.
 */
export const redfishSystemIdSchema = z
  .string()
  .trim()
  .max(512)
  .refine((path) => /^\/redfish\/v1\/Systems\/[^/?#\s]+$/.test(path) && !path.includes('..'), {
    message: 'a Redfish system id is a path like /redfish/v1/Systems/1',
  });

export const redfishErrorKindSchema = z.enum([
  'unreachable',
  'wrong-password',
  'privilege-too-low',
  'bmc-busy',
  'command-failed',
  'protocol',
  'not-redfish',
  'tls-untrusted',
  'tls-changed',
  'tls-rejected',
]);
export type RedfishErrorKind = z.infer<typeof redfishErrorKindSchema>;
