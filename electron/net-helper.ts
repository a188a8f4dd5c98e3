/**
 * rackboot-net-helper: the only part of Rackboot that runs as root. Started through pkexec by the main process with
 * the provisioning interface (and bridge) it may touch; talks only over the IPC socketpair on fd 0 it inherits.
 * Refuses to start for the uplink, Wi-Fi or a missing NIC, and checks every request against the system as it is.
 * Exits as soon as the main process goes away.
 */
import { LocalExecutor } from './network/executor';
import { readNetworkState, type Tools } from './network/system-state';
import { runCommand } from './lib/command-runner';
import { probeDhcpServers } from './pxe/dhcp/probe';
import { HELPER_REFUSED_EXIT, HELPER_STDERR_PREFIX, parseHelperArgs, type HelperResponse, type HelperScope } from './network/helper/protocol';
import { HelperServer } from './network/helper/server';

/** The helper reads links, addresses and routes; it has no use for NetworkManager's view or the optional tools. */
const NO_TOOLS: Tools = { nmcli: false, ovsVsctl: false, arping: false };

function refuse(message: string): never {
  process.stderr.write(`${HELPER_STDERR_PREFIX}${message}\n`);
  process.exit(HELPER_REFUSED_EXIT);
}

async function main(): Promise<void> {
  // Root never trusts a caller's PATH (pkexec sets a safe one anyway): ip, arping, nmcli, ovs-vsctl live here.
  process.env.PATH = '/usr/sbin:/usr/bin:/sbin:/bin';
  let scope: HelperScope;
  try {
    scope = parseHelperArgs(process.argv.slice(2));
  } catch (error) {
    refuse(error instanceof Error ? error.message : String(error));
  }
  const send = process.send?.bind(process);
  if (!send) refuse('talks only to Rackboot over the channel Rackboot starts it with (fd 0, NODE_CHANNEL_FD=0).');
  if (process.getuid?.() !== 0) refuse('must run as root (Rackboot starts it through pkexec).');

  const server = await HelperServer.open(scope, {
    executor: new LocalExecutor(probeDhcpServers),
    readState: () => readNetworkState(runCommand, { tools: NO_TOOLS }),
  });
  process.on('message', (raw: unknown) => {
    void server.handle(raw).then(({ response, socket }) => {
      // Once the descriptor has crossed, only the main process may read from it.
      send(response, socket, {}, () => socket?.close());
    });
  });
  process.on('disconnect', () => process.exit(0));
  const ready: HelperResponse = { kind: 'ready', interface: scope.interface, bridge: scope.bridge };
  send(ready);
}

void main().catch((error: unknown) => refuse(error instanceof Error ? error.message : String(error)));
