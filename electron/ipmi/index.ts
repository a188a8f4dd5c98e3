/** Rackboot's IPMI 2.0 (RMCP+) client: what the rest of the main process uses. */
export { IpmiClient } from './client';
export { BmcPool } from './pool';
export { SolConsole, type SolOptions } from './sol';
export { cidrHosts, discoverBmcs, type DiscoveryOptions } from './discovery';
export { IpmiSession, type SessionEvent, type SessionOptions } from './session';
export { openUdpChannel, type DatagramChannel } from './transport';
export {
  BmcBusyError,
  BmcUnreachableError,
  CipherSuiteUnsupportedError,
  IpmiCommandError,
  IpmiError,
  IpmiProtocolError,
  PrivilegeTooLowError,
  UnknownUserError,
  WrongBmcKeyError,
  WrongPasswordError,
} from './errors';
