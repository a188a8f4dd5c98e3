import type { CallError } from '../../shared/api';
import { IpmiError } from '../ipmi/errors';
import { RedfishError } from '../redfish';
import { UserFacingError } from '../lib/user-facing-error';

export function toCallError(error: unknown): CallError {
  if (error instanceof UserFacingError) return { code: error.code, message: error.message };
  if (error instanceof IpmiError) return { code: `ipmi-${error.kind}`, message: error.message };
  if (error instanceof RedfishError) return { code: `redfish-${error.kind}`, message: error.message };
  const detail = error instanceof Error ? error.message : String(error);
  return { code: 'internal', message: `Rackboot hit an internal error (${detail}). Please report it with the log.` };
}
