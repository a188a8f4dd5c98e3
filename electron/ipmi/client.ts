import {
  bootDeviceRequestSchema,
  type BootDevice,
  type BootDeviceRequest,
  type ChassisAction,
  type ChassisStatus,
  type DeviceId,
  type IpmiTarget,
  type LanConfig,
  type SystemGuid,
} from '../../shared/ipmi';
import { decodeDeviceId, decodeSystemGuid, getDeviceIdRequest, getSystemGuidRequest } from './codec/app-commands';
import {
  bootFlagsValue,
  bootInfoAcknowledgeValue,
  chassisControlRequest,
  decodeBootFlags,
  decodeBootOption,
  decodeChassisStatus,
  getBootOptionRequest,
  getChassisStatusRequest,
  setBootOptionRequest,
  setInProgressValue,
  validBitClearingValue,
  BootParameter,
} from './codec/chassis-commands';
import {
  decodeLanParameter,
  getLanParameterRequest,
  lanConfigFromParameters,
  LanParameter,
  LAN_PARAMETER_LENGTH,
} from './codec/lan-commands';
import { COMPLETION_INSUFFICIENT_PRIVILEGE, COMPLETION_NODE_BUSY } from './codec/message';
import type { Decoded } from './codec/result';
import { IpmiProtocolError } from './errors';
import { IpmiSession, type SessionOptions } from './session';

/** The friendly API over one BMC session: each method is one question or order a technician understands. */
export class IpmiClient {
  readonly session: IpmiSession;

  constructor(target: IpmiTarget, options: SessionOptions = {}) {
    this.session = new IpmiSession(target, options);
  }

  get bmc(): string {
    return this.session.bmc;
  }

  /** Logs in now (otherwise the first command does): verifies address, user, password and privilege. */
  async connect(): Promise<void> {
    await this.session.login();
  }

  close(): Promise<void> {
    return this.session.close();
  }

  async getDeviceId(): Promise<DeviceId> {
    return this.decode(await this.session.command(getDeviceIdRequest(), 'Get Device ID'), decodeDeviceId);
  }

  async getSystemGuid(): Promise<SystemGuid> {
    return this.decode(await this.session.command(getSystemGuidRequest(), 'Get System GUID'), decodeSystemGuid);
  }

  async getChassisStatus(): Promise<ChassisStatus> {
    return this.decode(await this.session.command(getChassisStatusRequest(), 'Get Chassis Status'), decodeChassisStatus);
  }

  async chassisControl(action: ChassisAction): Promise<void> {
    await this.session.command(chassisControlRequest(action), `Chassis Control (${action})`);
  }

  /**
   * Sets the next (or every) boot's device the way BMCs in the field accept it: mark the change in progress,
   * keep the flags past the BMC's 60 s timer, tell the BIOS there is new boot info, write the flags, mark complete.
   * Steps other than the flags themselves are optional in the spec, so "parameter not supported" is fine there.
   */
  async setBootDevice(request: BootDeviceRequest): Promise<void> {
    const { device, persistent, efi } = bootDeviceRequestSchema.parse(request);
    await this.optionalBootParameter(BootParameter.SetInProgress, setInProgressValue(true));
    try {
      await this.optionalBootParameter(BootParameter.ValidBitClearing, validBitClearingValue());
      await this.optionalBootParameter(BootParameter.BootInfoAcknowledge, bootInfoAcknowledgeValue());
      await this.session.command(
        setBootOptionRequest(BootParameter.BootFlags, bootFlagsValue({ device, persistent, efi })),
        'Set System Boot Options (boot flags)',
      );
    } finally {
      await this.optionalBootParameter(BootParameter.SetInProgress, setInProgressValue(false));
    }
  }

  async getBootDevice(): Promise<BootDevice> {
    const data = await this.session.command(getBootOptionRequest(BootParameter.BootFlags), 'Get System Boot Options (boot flags)');
    const option = this.decode(data, decodeBootOption);
    return this.decode(option.value, decodeBootFlags);
  }

  /** The BMC's own network settings on the channel we talk through. */
  async getLanConfig(): Promise<LanConfig> {
    await this.session.login();
    const channel = this.session.lanChannel;
    const read = async (parameter: LanParameter) => {
      const data = await this.session.command(getLanParameterRequest(channel, parameter), `Get LAN Configuration (parameter ${parameter})`);
      return this.decode(data, (bytes) => decodeLanParameter(bytes, LAN_PARAMETER_LENGTH[parameter]));
    };
    const values = {
      [LanParameter.IpAddress]: await read(LanParameter.IpAddress),
      [LanParameter.IpAddressSource]: await read(LanParameter.IpAddressSource),
      [LanParameter.MacAddress]: await read(LanParameter.MacAddress),
      [LanParameter.SubnetMask]: await read(LanParameter.SubnetMask),
      [LanParameter.DefaultGateway]: await read(LanParameter.DefaultGateway),
    };
    return lanConfigFromParameters(channel, values);
  }

  private async optionalBootParameter(parameter: BootParameter, value: Buffer): Promise<void> {
    const what = `Set System Boot Options (parameter ${parameter})`;
    const response = await this.session.request(setBootOptionRequest(parameter, value), what);
    // BMCs refuse these optional steps with all sorts of codes (ipmi_sim: 0xff); only privilege and busy matter,
    // because the boot flags write that follows would fail for the same reason.
    const { completionCode } = response;
    if (completionCode === COMPLETION_INSUFFICIENT_PRIVILEGE || completionCode === COMPLETION_NODE_BUSY) {
      throw this.session.commandError(what, completionCode);
    }
  }

  private decode<T>(data: Buffer, decoder: (data: Buffer) => Decoded<T>): T {
    const decoded = decoder(data);
    if (!decoded.ok) throw new IpmiProtocolError(this.bmc, decoded.reason);
    return decoded.value;
  }
}
