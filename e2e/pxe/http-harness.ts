// Runs our HTTP boot server with a JSON config (argv[2]) inside a test namespace; prints one JSON line per event.
// Config: address, port, root, nodes (MAC → boot target), leases (IPv4 → MAC). First line: {"type":"listening"}.
import type { BootTarget } from '../../electron/pxe/http/ipxe-script';
import { parseMac } from '../../shared/mac';
import { HttpBootServer } from '../../electron/pxe/http/server';
import { printLine, runHarnessService } from './lab';

interface HarnessConfig {
  address: string;
  port: number;
  root: string;
  nodes?: Record<string, BootTarget>;
  leases?: Record<string, string>;
}

const config = JSON.parse(process.argv[2] ?? '{}') as HarnessConfig;
const nodes = new Map(Object.entries(config.nodes ?? {}).map(([mac, target]) => [parseMac(mac), target]));
const server = new HttpBootServer({
  address: config.address,
  port: config.port,
  root: config.root,
  bootTarget: (mac) => nodes.get(mac) ?? null,
  macForAddress: (address) => config.leases?.[address] ?? null,
});
server.onTransfer((event) => printLine(event));

runHarnessService(server);
