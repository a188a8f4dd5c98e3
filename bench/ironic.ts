// The hand-off to Ironic at rack scale, against a real Ironic (Debian's ironic-api + ironic-conductor, sqlite,
// JSON-RPC) in a network namespace of its own:
//   enroll100_s   `rackboot ironic enroll --no-manage --fake-hardware`: 100 nodes with one port each, created from an
//                 empty Ironic (the whole CLI process, start to exit)
//   cli_s         `baremetal create` (python-ironicclient) on the file `rackboot ironic export` wrote for the same 100
//                 nodes, into a fresh Ironic (a new database, like Rackboot's run)
//   ratio         cli_s ÷ enroll100_s (target ≥ 1.0: no slower than Ironic's own client)
//   manage100_s   then `rackboot ironic enroll --fake-hardware` on Rackboot's Ironic: nothing to change, each node
//                 asked to `manage` and followed until `manageable` (what the direct enrolment adds over the file)
//   ironic_start_s  how long the three Ironic processes took to answer (each run starts two)
// Needs root and Ironic's Debian packages (`npm run lab:setup`); builds the CLI first. Run: `npm run bench -- ironic`.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { NodeStore } from '../electron/inventory/node-store';
import { KeyFileSecretBox } from '../electron/inventory/secret-box';
import { ironicInstalled, startIronic, type IronicServer } from '../e2e/ironic/ironic-server';
import { isRoot, Netns } from '../e2e/support/netns';

const NODES = 100;
const CLI = path.resolve('dist/electron/cli.mjs');

if (!isRoot() || !ironicInstalled()) {
  console.error('the ironic benchmark needs root (a network namespace) and Ironic installed (npm run lab:setup)');
  process.exit(2);
}

execFileSync('npm', ['run', 'build'], { stdio: ['ignore', 'ignore', 'inherit'] });

const dir = await mkdtemp(path.join(tmpdir(), 'rackboot-bench-ironic-'));
const ns = await Netns.create('rbi');
let ironic: IronicServer | undefined;

/** Runs a program in the namespace; the seconds from start to exit. */
async function timed(program: string, args: string[], env: Record<string, string> = {}): Promise<number> {
  const started = process.hrtime.bigint();
  await ns.exec('env', [...Object.entries(env).map(([name, value]) => `${name}=${value}`), program, ...args], { timeoutMs: 900_000 });
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function countIn(server: IronicServer): Promise<{ nodes: number; ports: number }> {
  const lines = async (kind: string): Promise<number> => (await server.baremetal(kind, 'list', '-f', 'value', '-c', 'UUID')).split('\n').filter(Boolean).length;
  return { nodes: await lines('node'), ports: await lines('port') };
}

try {
  const dataDir = path.join(dir, 'data');
  const store = await NodeStore.open(dataDir, await KeyFileSecretBox.load(path.join(dataDir, 'secret.key')));
  for (let i = 1; i <= NODES; i += 1) {
    const hex = i.toString(16).padStart(2, '0');
    await store.add({ name: `bench-${i}`, bmcAddress: `10.99.0.${i}`, bmcUser: 'admin', bmcPassword: `pw-${i}`, mac: `52:54:00:99:00:${hex}` });
  }
  const file = path.join(dir, 'ironic-nodes.json');
  const rackboot = (...args: string[]): string[] => [CLI, 'ironic', ...args, '--fake-hardware', '--data-dir', dataDir];
  await timed(process.execPath, rackboot('export', '--out', file, '--include-passwords'));

  ironic = await startIronic(ns, path.join(dir, 'ironic-rackboot'));
  const starts = [ironic.startSeconds];
  const enrollSeconds = await timed(process.execPath, rackboot('enroll', '--no-manage', '--url', ironic.noauthUrl));
  const rackbootCounts = await countIn(ironic);
  const manageSeconds = await timed(process.execPath, rackboot('enroll', '--url', ironic.noauthUrl));
  const manageable = (await ironic.baremetal('node', 'list', '--provision-state', 'manageable', '-f', 'value', '-c', 'UUID')).split('\n').filter(Boolean).length;
  await ironic.stop();

  ironic = await startIronic(ns, path.join(dir, 'ironic-cli'));
  starts.push(ironic.startSeconds);
  const cliSeconds = await timed('baremetal', ['create', file], { OS_AUTH_TYPE: 'none', OS_ENDPOINT: ironic.noauthUrl, OS_BAREMETAL_API_VERSION: 'latest' });
  const cliCounts = await countIn(ironic);

  for (const [who, counts] of [['rackboot', rackbootCounts], ['baremetal create', cliCounts]] as const) {
    if (counts.nodes !== NODES || counts.ports !== NODES) throw new Error(`${who} left ${counts.nodes} nodes and ${counts.ports} ports, not ${NODES} of each`);
  }
  if (manageable !== NODES) throw new Error(`only ${manageable} of ${NODES} nodes reached manageable`);
  const round = (value: number): number => Math.round(value * 100) / 100;
  console.log(
    JSON.stringify({
      bench: 'ironic',
      enroll100_s: round(enrollSeconds),
      cli_s: round(cliSeconds),
      ratio: round(cliSeconds / enrollSeconds),
      manage100_s: round(manageSeconds),
      ironic_start_s: starts.map(round),
    }),
  );
} finally {
  await ironic?.stop();
  await ns.destroy();
  await rm(dir, { recursive: true, force: true });
}
