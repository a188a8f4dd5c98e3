import type { BmcService } from '../bmc-service';
import type { EventBus } from '../event-bus';
import type { DeployTarget, UpCheck } from '../../deploy/ports';

const TAIL = 8192;

/**
 * "Deployed" once the installed OS prints its marker (a login prompt by default) on the serial console, read through
 * Serial-over-LAN: the server needs no address we know and no open port.
 */
export class SolMarkerUpCheck implements UpCheck {
  constructor(
    private readonly bmc: BmcService,
    private readonly bus: EventBus,
    private readonly marker: RegExp = /login:/,
  ) {}

  async signalAwaited(): Promise<string> {
    return `"${this.marker.source}" on its serial console (Serial-over-LAN)`;
  }

  async waitUntilUp(target: DeployTarget, signal: AbortSignal, onOutput?: (bytesSeen: number) => void): Promise<string> {
    let text = '';
    let seen = 0;
    let stop: () => void = () => undefined;
    const up = new Promise<string>((resolve, reject) => {
      stop = this.bus.on('console.output', (output) => {
        if (output.nodeId !== target.nodeId) return;
        seen += output.data.length;
        onOutput?.(seen);
        text = (text + output.data).slice(-TAIL);
        const match = this.marker.exec(text);
        if (match) resolve(`the serial console showed "${match[0]}"`);
      });
      signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
    });
    try {
      await this.bmc.openConsole(target.nodeId);
      return await up;
    } finally {
      stop();
    }
  }
}
