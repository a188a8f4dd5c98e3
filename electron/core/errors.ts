import type { CallError } from '../../shared/api';
import { IpmiError } from '../ipmi/errors';

/** An error whose message is written for the technician; anything else is reported as an internal error. */
export class UserFacingError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'UserFacingError';
  }
}

export function toCallError(error: unknown): CallError {
  if (error instanceof UserFacingError) return { code: error.code, message: error.message };
  if (error instanceof IpmiError) return { code: `ipmi-${error.kind}`, message: error.message };
  const detail = error instanceof Error ? error.message : String(error);
  return { code: 'internal', message: `Rackboot hit an internal error (${detail}). Please report it with the log.` };
}
