/** Rackboot's Redfish client: what the rest of the main process uses. */
export { RedfishClient, type SystemView } from './client';
export { RedfishConnection, type ConnectionOptions, type RedfishEndpoint } from './connection';
export { RedfishPool, type RedfishTarget } from './pool';
export { probeRedfish, type RedfishProbe } from './probe';
export { isPoweredOn, type BootWish, type PowerOrder } from './actions';
export {
  NotRedfishError,
  RedfishBusyError,
  RedfishCommandError,
  RedfishError,
  RedfishPrivilegeError,
  RedfishProtocolError,
  RedfishUnreachableError,
  RedfishWrongPasswordError,
  TlsCertificateChangedError,
  TlsRejectedError,
  TlsUntrustedError,
} from './errors';
export { discoverRedfish, type DiscoveredRedfishService, type RedfishDiscoveryOptions } from './discovery';
