/**
 * Rackboot's network setup and PXE services as the app runs them for a technician who is not root: the network change
 * goes through the privileged helper, and the services get ports 67 and 69 from that helper. Started by
 * privileged-ports.lab.test.ts inside a namespace as an unprivileged user:
 *   ip netns exec NS setpriv --reuid=65534 … node --import tsx e2e/pxe/unprivileged-services-harness.ts '<json>'
 * Prints JSON lines: every request to the helper for a port, the services' events, `ready`, and on SIGTERM (after
 * the services stopped and the network change was undone, as the app does on quit) `stopped`.
 */
import { z } from 'zod';
import { HelperClient } from '../../electron/network/helper/client';
import { NetworkService } from '../../electron/network/service';
import { ProvisioningServices } from '../../electron/pxe/provisioning-services';
import type { PrivilegedUdpSource } from '../../electron/lib/udp-bind';
import { probeDhcpServers } from '../../electron/pxe/dhcp/probe';
import { tableBooter } from './table-booter';

const Config = z.object({
  dataDir: z.string(),
  interfaceName: z.string(),
  subnet: z.string(),
  address: z.string(),
  pool: z.object({ start: z.string(), end: z.string() }),
  /** How this unprivileged process starts the root helper (sudo here, pkexec in the app). */
  helper: z.object({ command: z.string(), args: z.array(z.string()) }),
  /** The one machine the services answer. */
  clientMac: z.string(),
  bootloaderDir: z.string(),
});

function print(line: object): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function main(): Promise<void> {
  const config = Config.parse(JSON.parse(process.argv[2] ?? '{}'));
  print({ type: 'identity', uid: process.getuid?.() ?? null });
  const network = new NetworkService({
    dataDir: config.dataDir,
    openExecutor: (scope) => HelperClient.start(config.helper, scope),
    dhcpProbe: probeDhcpServers,
    privileged: false,
    log: (level, message) => print({ type: 'network-log', level, message }),
  });
  const plan = await network.plan({ interface: config.interfaceName, subnet: config.subnet, address: config.address, mode: 'bridge' });
  const applied = await network.apply(plan.id);
  print({ type: 'network-applied', serviceInterface: applied.serviceInterface, checks: applied.checks });

  const source = await network.privilegedUdpSource();
  if (!source) throw new Error('the network service offers no privileged source after a change through the helper');
  const privilegedUdp: PrivilegedUdpSource = (request) => {
    print({ type: 'asked-helper', request });
    return source(request);
  };
  const services = await ProvisioningServices.start(
    {
      interfaceName: applied.serviceInterface,
      address: config.address,
      prefixLength: Number(config.subnet.split('/')[1]),
      mode: 'full',
      pool: config.pool,
      answer: 'enrolled',
      httpPort: 8080,
      stateDir: `${config.dataDir}/pxe`,
      bootloaderDir: config.bootloaderDir,
      routerAdvertisements: false,
    },
    {
      booter: tableBooter([config.clientMac], { kernelUrl: '/deploy/vmlinuz', initrdUrls: ['/deploy/initrd'], cmdline: '' }),
      onEvent: (event) => print({ type: 'service-event', event }),
      privilegedUdp,
    },
  );
  print({ type: 'ready', pid: process.pid });

  process.once('SIGTERM', () => {
    void (async () => {
      await services.stop();
      await network.close();
      print({ type: 'stopped', pendingChange: await network.pendingChange() });
      process.exit(0);
    })();
  });
}

main().catch((error: unknown) => {
  print({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
