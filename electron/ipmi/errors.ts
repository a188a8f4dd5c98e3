import type { IpmiErrorInfo, IpmiErrorKind, IpmiTarget } from '../../shared/ipmi';
import { COMPLETION_INSUFFICIENT_PRIVILEGE, COMPLETION_NODE_BUSY, describeCompletionCode } from './codec/message';

/**
 * Every failure a technician can meet, one class each, with a message that says what happened and what to do
 * next. None of them ever receives the password, so none can leak it.
 */
export abstract class IpmiError extends Error {
  abstract readonly kind: IpmiErrorKind;

  constructor(
    readonly bmc: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }

  toInfo(): IpmiErrorInfo {
    return { kind: this.kind, bmc: this.bmc, message: this.message };
  }
}

export class BmcUnreachableError extends IpmiError {
  readonly kind = 'unreachable';
  constructor(bmc: string, port: number, tries: number) {
    super(
      bmc,
      `BMC ${bmc} did not answer on UDP port ${port} after ${tries} tries — check the address, that the BMC's LAN ` +
        'port is cabled and enabled (BIOS → IPMI / BMC LAN Configuration), and that this computer is on the same network',
    );
  }
}

export class UnknownUserError extends IpmiError {
  readonly kind = 'unknown-user';
  constructor(bmc: string, user: string) {
    super(
      bmc,
      `BMC ${bmc} does not know user ${user || '(anonymous)'} — check the user name in the BMC's user list ` +
        '(BIOS → IPMI → User Settings, or the BMC web page)',
    );
  }
}

export class WrongPasswordError extends IpmiError {
  readonly kind = 'wrong-password';
  constructor(bmc: string, user: string) {
    super(
      bmc,
      `BMC ${bmc} rejected user ${user || '(anonymous)'}: wrong password — check BMC LAN Configuration in BIOS ` +
        'or reset the password in the BMC user settings',
    );
  }
}

export class PrivilegeTooLowError extends IpmiError {
  readonly kind = 'privilege-too-low';

  /** The BMC would not grant the session the privilege asked for. */
  static forLogin(bmc: string, user: string, privilege: string): PrivilegeTooLowError {
    return new PrivilegeTooLowError(
      bmc,
      `User ${user || '(anonymous)'} on BMC ${bmc} may not work at ${privilege} privilege — raise the user's privilege ` +
        'in the BMC user settings (power and boot control need operator or administrator) or pick a lower privilege',
    );
  }

  /** The session works, but at a privilege too low for this command. */
  static forCommand(bmc: string, user: string, privilege: string, command: string): PrivilegeTooLowError {
    return new PrivilegeTooLowError(
      bmc,
      `BMC ${bmc} refused ${command} at ${privilege} privilege — connect user ${user || '(anonymous)'} with operator ` +
        "or administrator privilege, raising the user's privilege in the BMC user settings if needed",
    );
  }
}

export class CipherSuiteUnsupportedError extends IpmiError {
  readonly kind = 'cipher-unsupported';
  constructor(bmc: string, tried: readonly number[], offered: readonly number[]) {
    const offeredText = offered.length > 0 ? ` (it offers ${offered.join(', ')})` : '';
    super(
      bmc,
      `BMC ${bmc} accepts none of cipher suites ${tried.join(', ')}${offeredText} — enable cipher suite 17 or 3 in ` +
        "the BMC's LAN / IPMI-over-LAN settings, or pick the suite it supports for this node",
    );
  }
}

export class BmcBusyError extends IpmiError {
  readonly kind = 'bmc-busy';
  constructor(bmc: string, detail: string) {
    super(
      bmc,
      `BMC ${bmc} is busy (${detail}) — wait a minute and retry; if it persists close other IPMI sessions ` +
        '(web console, other tools) or reset the BMC',
    );
  }
}

export class WrongBmcKeyError extends IpmiError {
  readonly kind = 'wrong-bmc-key';
  constructor(bmc: string) {
    super(
      bmc,
      `BMC ${bmc} accepted the password but not the BMC key (Kg) — enter the BMC key set in the BMC's LAN ` +
        'settings, or leave it empty if none is set',
    );
  }
}

export class IpmiCommandError extends IpmiError {
  readonly kind = 'command-failed';
  constructor(
    bmc: string,
    readonly command: string,
    readonly completionCode: number,
    hint = 'check that the BMC supports this command; updating the BMC firmware may help',
  ) {
    super(bmc, `BMC ${bmc} refused ${command}: ${describeCompletionCode(completionCode)} — ${hint}`);
  }
}

export class IpmiProtocolError extends IpmiError {
  readonly kind = 'protocol';
  constructor(bmc: string, what: string) {
    super(bmc, `BMC ${bmc} answered in a way we cannot use: ${what} — retry; if it persists, report the BMC model`);
  }
}

/** What a completion code other than 0 means for `command`, said for the technician. */
export function commandFailure(bmc: string, target: Pick<IpmiTarget, 'user' | 'privilege'>, command: string, completionCode: number): IpmiError {
  if (completionCode === COMPLETION_INSUFFICIENT_PRIVILEGE) return PrivilegeTooLowError.forCommand(bmc, target.user, target.privilege, command);
  if (completionCode === COMPLETION_NODE_BUSY) return new BmcBusyError(bmc, `it answered "node busy" to ${command}`);
  return new IpmiCommandError(bmc, command, completionCode);
}
