import type { BmcService } from '../bmc-service';
import { isPoweredOn } from '../../redfish';
import type { DeployTarget, UpCheck } from '../../deploy/ports';

/** Reads of the system, this far apart, while waiting for a Redfish-only server to come up. */
const POLL_MS = 3000;
/** Consecutive "On" reads that stand for "up" on a BMC that reports no boot progress. */
const STEADY_READS = 3;

/**
 * "Deployed" for a server without a serial console Rackboot can read (Redfish only, no IPMI SOL): its BMC's
 * BootProgress says the OS runs, or, on BMCs that do not report boot progress, it stays powered on after the
 * boot from disk. Weaker than seeing a login prompt, and said so in the deploy log.
 */
export class RedfishBootProgressUpCheck implements UpCheck {
  constructor(private readonly bmc: BmcService) {}

  async signalAwaited(): Promise<string> {
    return 'its BMC reporting the OS running (Redfish boot progress, or powered on steadily; no serial console to read)';
  }

  async waitUntilUp(target: DeployTarget, signal: AbortSignal): Promise<string> {
    const client = this.bmc.redfishClient(target.nodeId);
    let steady = 0;
    for (;;) {
      if (signal.aborted) throw new Error('aborted');
      const { system } = await client.read();
      if (system.bootProgress === 'OSRunning') return 'the BMC reports boot progress OSRunning';
      steady = system.bootProgress === null && isPoweredOn(system) ? steady + 1 : 0;
      if (steady >= STEADY_READS) return `the BMC reports it powered on for ${(STEADY_READS - 1) * (POLL_MS / 1000)} s after the boot from disk (it reports no boot progress, and Redfish has no serial console here)`;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, POLL_MS);
        signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
    }
  }
}

/** The SOL marker for IPMI nodes, the BMC's word for Redfish ones. */
export class ProtocolUpCheck implements UpCheck {
  constructor(
    private readonly bmc: BmcService,
    private readonly sol: UpCheck,
    private readonly redfish: UpCheck = new RedfishBootProgressUpCheck(bmc),
  ) {}

  async signalAwaited(target: DeployTarget): Promise<string> {
    return (await this.checkFor(target)).signalAwaited(target);
  }

  async waitUntilUp(target: DeployTarget, signal: AbortSignal, onOutput?: (bytesSeen: number) => void): Promise<string> {
    return (await this.checkFor(target)).waitUntilUp(target, signal, onOutput);
  }

  private async checkFor(target: DeployTarget): Promise<UpCheck> {
    return (await this.bmc.protocolOf(target.nodeId)) === 'redfish' ? this.redfish : this.sol;
  }
}
