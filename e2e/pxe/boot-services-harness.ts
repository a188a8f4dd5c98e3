// Our whole PXE stack in a lab namespace: DHCP (full mode), TFTP with the system's iPXE loaders, the HTTP boot
// server and, when asked, the IPv6 router advertiser. Prints every event as a JSON line, then {"type":"ready"}.
// Usage: ip netns exec NS npx tsx e2e/pxe/boot-services-harness.ts '<json>'; SIGTERM stops everything cleanly.
import { z } from 'zod';
import { AddressPool, BootFiles, DhcpSettings, RouterAdvertisementSettings } from '../../shared/pxe';
import { bootloaderFiles, findBootloaders } from '../../electron/pxe/bootloaders';
import { createStandardPolicy, nodeTable } from '../../electron/pxe/dhcp/policy';
import { DhcpServer } from '../../electron/pxe/dhcp/server';
import { normalizeMac } from '../../electron/pxe/http/mac';
import { HttpBootServer } from '../../electron/pxe/http/server';
import { RouterAdvertiser } from '../../electron/pxe/router-advertiser';
import { TftpServer } from '../../electron/pxe/tftp/server';

const Config = RouterAdvertisementSettings.extend({
  interfaceName: z.string(),
  serverAddress: z.string(),
  pool: AddressPool,
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
  const loaders = await findBootloaders();
  const tftp = new TftpServer({ address: config.serverAddress, root: config.root, extraFiles: bootloaderFiles(loaders.found) });
  tftp.onTransfer((event) => event.phase !== 'progress' && print(event));
  const macs = new Set(config.nodes.map((node) => normalizeMac(node.mac)));
  const bootTarget = config.bootTarget ?? { kernelUrl: '/vmlinuz', initrdUrls: ['/initrd.gz'], cmdline: 'console=ttyS0' };
  const http = new HttpBootServer({
    address: config.serverAddress,
    root: config.root,
    bootTarget: (mac) => (macs.has(mac) ? bootTarget : null),
  });
  http.onTransfer((event) => event.phase !== 'progress' && print(event));
  const dhcp = new DhcpServer({
    settings: DhcpSettings.parse({ interfaceName: config.interfaceName, serverAddress: config.serverAddress, mode: 'full', pool: config.pool }),
    policy: createStandardPolicy({
      nodes: nodeTable(config.nodes),
      answer: 'enrolled',
      bootFiles: BootFiles.parse({}),
      tftpServer: config.serverAddress,
      ipxeScriptUrl: (mac) => http.nodeScriptUrl(mac),
    }),
    leaseFile: null,
  });
  dhcp.subscribe(print);
  dhcp.onError((error) => print({ type: 'server-error', message: error.message }));
  const advertiser = config.routerAdvertisements ? new RouterAdvertiser({ interfaceName: config.interfaceName }) : null;
  advertiser?.onEvent(print);

  await tftp.listen();
  await http.listen();
  await dhcp.start();
  await advertiser?.start();
  print({ type: 'ready', scriptUrl: http.nodeScriptUrl(config.nodes[0]?.mac ?? '') });

  const stop = async (): Promise<void> => {
    await advertiser?.stop();
    await Promise.all([dhcp.stop(), tftp.close(), http.close()]);
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main().catch((error: Error) => {
  print({ type: 'start-failed', message: error.message });
  process.exit(1);
});
