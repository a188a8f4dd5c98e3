import { createHash, X509Certificate } from 'node:crypto';
import type { TlsCertificate, TlsTrust } from '../../shared/redfish';

/** SHA-256 of DER bytes as 32 upper-case hex pairs joined by colons. */
export function fingerprint(der: Uint8Array): string {
  return createHash('sha256')
    .update(der)
    .digest('hex')
    .toUpperCase()
    .replace(/(..)(?!$)/g, '$1:');
}

/** "CN=x\nO=y" (how X509Certificate gives a name) as one line. */
function oneLine(name: string): string {
  return name.split('\n').filter(Boolean).join(', ');
}

/** What a DER certificate says about itself, for the operator to compare and pin. */
export function describeCertificate(der: Uint8Array): TlsCertificate {
  return describeX509(new X509Certificate(der));
}

export function describeX509(certificate: X509Certificate): TlsCertificate {
  return {
    sha256: fingerprint(certificate.raw),
    subject: oneLine(certificate.subject),
    issuer: oneLine(certificate.issuer),
    notBefore: new Date(certificate.validFrom).toISOString(),
    notAfter: new Date(certificate.validTo).toISOString(),
  };
}

export type TrustVerdict =
  | { kind: 'trusted' }
  | { kind: 'untrusted'; certificate: TlsCertificate }
  | { kind: 'changed'; pinned: string; certificate: TlsCertificate };

/**
 * Whether a pin accepts the certificate the handshake showed. A CA bundle is checked by the TLS layer itself (chain
 * and name), so here it only says the handshake's verdict stands.
 */
export function pinVerdict(trust: TlsTrust | null, certificate: TlsCertificate): TrustVerdict {
  if (trust === null) return { kind: 'untrusted', certificate };
  if (trust.kind === 'ca') return { kind: 'trusted' };
  return trust.sha256 === certificate.sha256 ? { kind: 'trusted' } : { kind: 'changed', pinned: trust.sha256, certificate };
}
