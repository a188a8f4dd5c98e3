import type { BmcService } from '../bmc-service';
import { IpmiError } from '../../ipmi/errors';
import { isPoweredOn, RedfishError } from '../../redfish';
import type { BmcFacts, DeployTarget, PowerControl } from '../../deploy/ports';

/**
 * The deploy engine's power and boot-device control, over IPMI or Redfish as the node says (`auto` is settled at
 * the first question and remembered), through the BMC service's shared sessions.
 */
export class BmcPowerControl implements PowerControl {
  constructor(private readonly bmc: BmcService) {}

  async verify(target: DeployTarget): Promise<BmcFacts> {
    if ((await this.bmc.protocolOf(target.nodeId)) === 'redfish') {
      const client = this.bmc.redfishClient(target.nodeId);
      const { system } = await client.read();
      return { systemGuid: system.uuid, powerOn: isPoweredOn(system) };
    }
    const result = await this.bmc.test(this.bmc.credentials(target.nodeId), target.nodeId);
    return { systemGuid: result.systemGuid, powerOn: result.powerOn ?? false };
  }

  setBootDevice(target: DeployTarget, device: 'pxe' | 'disk', options: { persistent: boolean; mode: 'bios' | 'uefi' }): Promise<void> {
    return this.bmc.setBootDevice(target.nodeId, device, options.persistent, options.mode === 'uefi');
  }

  /** Many BMCs refuse a power cycle while the server is off, so an off server is powered on instead. */
  async restart(target: DeployTarget): Promise<void> {
    if ((await this.bmc.protocolOf(target.nodeId)) === 'redfish') {
      await this.bmc.redfishClient(target.nodeId).power('restart');
      return;
    }
    const on = await this.bmc.powerState(target.nodeId);
    await this.bmc.power(target.nodeId, on ? 'cycle' : 'on');
  }

  async powerOff(target: DeployTarget): Promise<void> {
    await this.bmc.power(target.nodeId, 'off');
  }

  isTransient(error: unknown): boolean {
    if (error instanceof IpmiError) return error.kind === 'unreachable' || error.kind === 'bmc-busy';
    return error instanceof RedfishError && (error.kind === 'unreachable' || error.kind === 'bmc-busy');
  }

  onRetransmit(target: DeployTarget, listener: (what: string, attempt: number) => void): () => void {
    const protocol = this.bmc.credentials(target.nodeId).protocol;
    const stops: Array<() => void> = [];
    if (protocol !== 'redfish') {
      stops.push(
        this.bmc.client(target.nodeId).session.on((event) => {
          if (event.type === 'retry') listener(event.what, event.attempt);
        }),
      );
    }
    if (protocol !== 'ipmi') stops.push(this.bmc.redfishClient(target.nodeId).connection.onRetry(listener));
    return () => stops.forEach((stop) => stop());
  }
}
