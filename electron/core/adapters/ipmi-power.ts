import type { BmcService } from '../bmc-service';
import { IpmiError } from '../../ipmi/errors';
import type { BmcFacts, DeployTarget, PowerControl } from '../../deploy/ports';

/** The deploy engine's power and boot-device control, over the BMC service's pooled IPMI sessions. */
export class IpmiPowerControl implements PowerControl {
  constructor(private readonly bmc: BmcService) {}

  async verify(target: DeployTarget): Promise<BmcFacts> {
    const result = await this.bmc.test(target.bmc, target.nodeId);
    return { systemGuid: result.systemGuid, powerOn: result.powerOn };
  }

  setBootDevice(target: DeployTarget, device: 'pxe' | 'disk', options: { persistent: boolean; mode: 'bios' | 'uefi' }): Promise<void> {
    return this.bmc.setBootDevice(target.nodeId, device, options.persistent, options.mode === 'uefi');
  }

  /** Many BMCs refuse a power cycle while the server is off, so an off server is powered on instead. */
  async restart(target: DeployTarget): Promise<void> {
    const on = await this.bmc.powerState(target.nodeId);
    await this.bmc.power(target.nodeId, on ? 'cycle' : 'on');
  }

  async powerOff(target: DeployTarget): Promise<void> {
    await this.bmc.power(target.nodeId, 'off');
  }

  isTransient(error: unknown): boolean {
    return error instanceof IpmiError && (error.kind === 'unreachable' || error.kind === 'bmc-busy');
  }

  onRetransmit(target: DeployTarget, listener: (what: string, attempt: number) => void): () => void {
    return this.bmc.client(target.nodeId).session.on((event) => {
      if (event.type === 'retry') listener(event.what, event.attempt);
    });
  }
}
