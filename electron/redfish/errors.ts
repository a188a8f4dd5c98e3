import type { RedfishErrorKind, TlsCertificate } from '../../shared/redfish';

/**
 * Every Redfish failure a technician can meet, worded like the IPMI ones: what happened, then what to do. None of
 * them receives the password, so none can leak it.
 */
export abstract class RedfishError extends Error {
  abstract readonly kind: RedfishErrorKind;

  constructor(
    readonly bmc: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class RedfishUnreachableError extends RedfishError {
  readonly kind = 'unreachable';
  constructor(bmc: string, port: number, cause: string, tries: number) {
    super(
      bmc,
      `no BMC answers at https://${bmc}:${port} (${cause}, ${tries} ${tries === 1 ? 'try' : 'tries'}) — check the address, that ` +
        "the BMC's LAN port is cabled, that Redfish / HTTPS is enabled in the BMC's network services, and that this " +
        'computer is on the same network',
    );
  }
}

export class NotRedfishError extends RedfishError {
  readonly kind = 'not-redfish';
  constructor(bmc: string, port: number, what: string) {
    super(bmc, `https://${bmc}:${port} answers, but not as a Redfish service (${what}) — check the port, or choose IPMI for this server`);
  }
}

export class RedfishWrongPasswordError extends RedfishError {
  readonly kind = 'wrong-password';
  constructor(bmc: string, user: string) {
    super(
      bmc,
      `BMC ${bmc} rejected user ${user || '(anonymous)'}: wrong password (or no such user: Redfish does not say which) — ` +
        "check the user name and password in the BMC's user list or web page",
    );
  }
}

export class RedfishPrivilegeError extends RedfishError {
  readonly kind = 'privilege-too-low';
  constructor(bmc: string, user: string, what: string) {
    super(
      bmc,
      `BMC ${bmc} refused ${what} to user ${user}: not allowed — give the user the Operator or Administrator role in the ` +
        "BMC's user settings",
    );
  }
}

export class RedfishBusyError extends RedfishError {
  readonly kind = 'bmc-busy';
  constructor(bmc: string, detail: string) {
    super(bmc, `BMC ${bmc} is busy (${detail}) — wait a minute and retry; if it persists, close other sessions (web console, other tools) or reset the BMC`);
  }
}

export class RedfishCommandError extends RedfishError {
  readonly kind = 'command-failed';
  constructor(
    bmc: string,
    readonly what: string,
    readonly status: number,
    readonly messageIds: readonly string[],
    detail: string,
  ) {
    super(
      bmc,
      `BMC ${bmc} refused ${what}: HTTP ${status}${detail ? ` (${detail})` : ''} — check that this server supports it; updating the BMC firmware may help`,
    );
  }
}

export class RedfishProtocolError extends RedfishError {
  readonly kind = 'protocol';
  constructor(bmc: string, what: string) {
    super(bmc, `BMC ${bmc} answered in a way we cannot use: ${what} — retry; if it persists, report the BMC model`);
  }
}

/** The certificate is not trusted yet: no pin, no CA bundle. Nothing was sent to the BMC but the TLS handshake. */
export class TlsUntrustedError extends RedfishError {
  readonly kind = 'tls-untrusted';
  constructor(
    bmc: string,
    readonly certificate: TlsCertificate,
  ) {
    super(
      bmc,
      `BMC ${bmc}'s TLS certificate is not trusted yet (SHA-256 ${certificate.sha256}) — Test connection, compare the ` +
        'fingerprint with the one on the BMC\'s own screen or web page, then "Trust this certificate"',
    );
  }
}

/** The pinned certificate was replaced. Nothing was sent: the password stays with us until the operator decides. */
export class TlsCertificateChangedError extends RedfishError {
  readonly kind = 'tls-changed';
  constructor(
    bmc: string,
    readonly pinned: string,
    readonly certificate: TlsCertificate,
  ) {
    super(
      bmc,
      `BMC ${bmc}: TLS certificate changed — it now shows SHA-256 ${certificate.sha256}, not the trusted ${pinned}. ` +
        'If the BMC was reset or its certificate renewed, Test connection and "Accept the new certificate"; if not, ' +
        'something may be between this computer and the BMC: do not send it the password',
    );
  }
}

/** A CA bundle is set and the certificate is not signed by it (or not for this address). */
export class TlsRejectedError extends RedfishError {
  readonly kind = 'tls-rejected';
  constructor(bmc: string, reason: string) {
    super(bmc, `BMC ${bmc}'s TLS certificate is not accepted by the CA bundle set for it (${reason}) — check the bundle, or trust the certificate by its fingerprint instead`);
  }
}
