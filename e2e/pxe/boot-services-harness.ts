// Our whole PXE stack in a lab namespace, as the app runs it: ProvisioningServices (DHCP in full mode, TFTP with the
// system's iPXE loaders, the HTTP boot server and, when asked, the IPv6 router advertiser), answering the listed nodes
// through a table booter. Prints every event as a JSON line, then {"type":"ready"}.
// Usage: ip netns exec NS npx tsx e2e/pxe/boot-services-harness.ts '<json>'; SIGTERM stops everything cleanly.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { routerAdvertisementSettingsSchema } from '../../shared/pxe';
import { ProvisioningServices } from '../../electron/pxe/provisioning-services';
import { tableBooter } from './table-booter';

const Config = routerAdvertisementSettingsSchema.extend({
  interfaceName: z.string(),
  serverAddress: z.string(),
  prefixLength: z.number().int().min(1).max(30),
  pool: z.object({ start: z.string(), end: z.string() }),
  nodes: z.array(z.object({ id: z.string(), mac: z.string() })),
  /** Served over TFTP and HTTP. */
  root: z.string(),
  /** What the nodes' scripts boot, paths under root; default a kernel that need not exist (the script is measured). */
  bootTarget: z.object({ kernelUrl: z.string(), initrdUrls: z.array(z.string()), cmdline: z.string() }).optional(),
});

function print(line: object): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function main(): Promise<void> {
  const config = Config.parse(JSON.parse(process.argv[2] ?? '{}'));
  const bootTarget = config.bootTarget ?? { kernelUrl: '/vmlinuz', initrdUrls: ['/initrd.gz'], cmdline: 'console=ttyS0' };
  // The lease file goes here; the files served come from `root`.
  const stateDir = await mkdtemp(join(tmpdir(), 'rackboot-boot-services-'));
  const services = await ProvisioningServices.start(
    {
      interfaceName: config.interfaceName,
      address: config.serverAddress,
      prefixLength: config.prefixLength,
      mode: 'full',
      pool: config.pool,
      answer: 'enrolled',
      httpPort: 8080,
      stateDir,
      httpRoot: config.root,
      routerAdvertisements: config.routerAdvertisements,
    },
    {
      booter: tableBooter(
        config.nodes.map((node) => node.mac),
        bootTarget,
      ),
      onEvent: (event) => {
        if (event.kind === 'warning') print({ type: 'warning', message: event.message });
        else if (event.kind !== 'transfer' || event.event.phase !== 'progress') print(event.event);
      },
    },
  ).catch(async (error: unknown) => {
    await rm(stateDir, { recursive: true, force: true });
    throw error;
  });
  print({ type: 'ready', scriptUrl: services.http.nodeScriptUrl(config.nodes[0]?.mac ?? '') });

  const stop = async (): Promise<void> => {
    await services.stop();
    await rm(stateDir, { recursive: true, force: true });
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main().catch((error: unknown) => {
  print({ type: 'start-failed', message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
