// Runs our DHCP server (or the other-server probe) inside a lab namespace and prints what happens as JSON lines.
// Usage: ip netns exec NS npx tsx e2e/pxe/dhcp-harness.ts '<json>'
import { z } from 'zod';
import { dhcpSettingsSchema } from '../../shared/pxe';
import { feedCapture, MacCapture } from '../../electron/pxe/dhcp/capture';
import { createStandardPolicy, nodeTable } from '../../electron/pxe/dhcp/policy';
import { dhcpOfferChecks } from '../../electron/network/checks';
import { probeDhcpServers } from '../../electron/pxe/dhcp/probe';
import { DhcpServer } from '../../electron/pxe/dhcp/server';

const ServeConfig = z.object({
  mode: z.literal('serve'),
  settings: dhcpSettingsSchema,
  nodes: z.array(z.object({ id: z.string(), mac: z.string(), fixedAddress: z.string().nullable().optional() })),
  leaseFile: z.string().nullable().default(null),
  ipxeScriptBase: z.string(),
  /** Capture sessions to run against the requests the server sees; poweredOnAt 0 means "since the start". */
  captures: z.array(z.object({ nodeId: z.string(), systemGuid: z.string().nullable(), poweredOnAt: z.number().default(0) })).default([]),
});

const ProbeConfig = z.object({
  mode: z.literal('probe'),
  interfaceName: z.string(),
  interfaceAddress: z.string(),
  mac: z.string(),
  waitMs: z.number().default(3000),
});

const Config = z.discriminatedUnion('mode', [ServeConfig, ProbeConfig]);

function print(line: object): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function serve(config: z.infer<typeof ServeConfig>): Promise<void> {
  const policy = createStandardPolicy({
    nodes: nodeTable(config.nodes),
    answer: config.settings.answer,
    bootFiles: config.settings.bootFiles,
    tftpServer: config.settings.serverAddress,
    ipxeScriptUrl: (mac) => `${config.ipxeScriptBase}${mac}`,
  });
  const server = new DhcpServer({ settings: config.settings, policy, leaseFile: config.leaseFile });
  server.subscribe((event) => print(event));
  const enrolledMacs = new Set(config.nodes.map((node) => node.mac.toLowerCase()));
  const capture = new MacCapture((mac) => enrolledMacs.has(mac));
  for (const target of config.captures) capture.start(target);
  feedCapture(server, capture, (event) => print(event));
  server.onError((error) => print({ type: 'server-error', message: error.message }));
  await server.start();
  print({ type: 'ready' });
  const stop = () => void server.stop().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

async function main(): Promise<void> {
  const config = Config.parse(JSON.parse(process.argv[2] ?? '{}'));
  if (config.mode === 'serve') return serve(config);
  // What the app shows after applying the network setup: the offers and the advice the network checks make of them.
  const offers = await probeDhcpServers(config);
  print({ type: 'probe-result', offers, checks: dhcpOfferChecks(offers) });
}

main().catch((error: Error) => {
  print({ type: 'start-failed', message: error.message });
  process.exit(1);
});
