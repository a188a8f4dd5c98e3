/**
 * Runs the network service inside a test namespace (Node cannot switch namespaces itself):
 *   ip netns exec NS node --import tsx e2e/network/net-entry.ts DATA_DIR COMMAND [JSON]
 * COMMAND: interfaces | plan | apply (plans then applies) | apply-and-quit (then closes the service, as the app does
 * on quit) | undo | pending. Prints one JSON line: {ok, value|error}.
 * Test hooks (here only, never in the app): RACKBOOT_TEST_FAIL_AT=N makes the Nth change fail,
 * RACKBOOT_TEST_PAUSE_AT=N prints "paused" and hangs before the Nth change (for kill -9),
 * RACKBOOT_TEST_VIA_HELPER=1 makes the changes through the privileged helper (started as root, as the app's pkexec
 * does; it exits with this process) instead of in-process.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NetworkOp } from '../../shared/network';
import { networkPlanInputSchema } from '../../shared/network';
import { LocalExecutor, type NetworkExecutor } from '../../electron/network/executor';
import { probeDhcpServers } from '../../electron/pxe/dhcp/probe';
import { HelperClient } from '../../electron/network/helper/client';
import type { HelperScope } from '../../electron/network/helper/protocol';
import { NetworkService } from '../../electron/network/service';

function hooked(executor: NetworkExecutor): NetworkExecutor {
  const failAt = Number(process.env.RACKBOOT_TEST_FAIL_AT ?? 0);
  const pauseAt = Number(process.env.RACKBOOT_TEST_PAUSE_AT ?? 0);
  let count = 0;
  const run = async (op: NetworkOp): Promise<void> => {
    count += 1;
    if (count === pauseAt) {
      process.stdout.write('paused\n');
      await new Promise(() => undefined);
    }
    if (count === failAt) throw new Error(`injected failure at change ${count} (${op.op})`);
    await executor.run(op);
  };
  return {
    run,
    arpProbe: (device, address) => executor.arpProbe(device, address),
    dhcpProbe: (device, source, mac) => executor.dhcpProbe(device, source, mac),
    bindUdp: (request) => executor.bindUdp(request),
    close: () => executor.close(),
  };
}

const HELPER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../electron/net-helper.ts');

async function openExecutor(scope: HelperScope): Promise<NetworkExecutor> {
  if (process.env.RACKBOOT_TEST_VIA_HELPER !== '1') return hooked(new LocalExecutor(probeDhcpServers));
  return hooked(await HelperClient.start({ command: process.execPath, args: ['--import', 'tsx', HELPER] }, scope));
}

async function main(): Promise<unknown> {
  const [dataDir = '', command = '', json = '{}'] = process.argv.slice(2);
  const service = new NetworkService({ dataDir, privileged: true, openExecutor, dhcpProbe: probeDhcpServers });
  switch (command) {
    case 'interfaces':
      return service.interfaces();
    case 'plan':
      return service.plan(networkPlanInputSchema.parse(JSON.parse(json)));
    case 'apply': {
      const plan = await service.plan(networkPlanInputSchema.parse(JSON.parse(json)));
      return service.apply(plan.id);
    }
    case 'apply-and-quit': {
      const plan = await service.plan(networkPlanInputSchema.parse(JSON.parse(json)));
      await service.apply(plan.id);
      await service.close();
      return service.pendingChange();
    }
    case 'undo':
      return service.undo();
    case 'pending':
      return service.pendingChange();
    default:
      throw new Error(`unknown command ${command}`);
  }
}

main().then(
  (value) => {
    process.stdout.write(`${JSON.stringify({ ok: true, value })}\n`);
    process.exit(0);
  },
  (error: unknown) => {
    const code = (error as { code?: string }).code ?? 'internal';
    process.stdout.write(`${JSON.stringify({ ok: false, error: { code, message: error instanceof Error ? error.message : String(error) } })}\n`);
    process.exit(1);
  },
);
