// The inventory at scale, through the real path (headless server, WebSocket, core, node store on disk):
//   add_ms_median / add_ms_max   nodes.add round trips on an inventory of 10,000 servers (target < 50)
//   info_ms_max / info_ms_p95    app.info round trips of a second client while a first imports ~1 MB of hardware_info
//                                (~22,000 servers) (target < 100)
//   import_1mb_s                 how long that import takes
//   scaling_ratio                in-process import of 10,000 lines ÷ 1,000 lines (linear ≈ 10, quadratic ≈ 100)
//   delta_ms_max                 the renderer store applying a one-node delta to 10,000 nodes (target < 50)
// Builds the app first (a few seconds). Run: `npm run bench -- nodes` (JSON is the last line).
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { NodeView } from '../shared/nodes';
import { connectApi, startHeadlessApp } from '../e2e/ui/headless-app';
import { NodeStore } from '../electron/inventory/node-store';
import type { SecretBox } from '../electron/inventory/secret-box';
import { applyNodeDelta } from '../renderer/src/store/nodes';

const STORE_SIZE = 10_000;
const ADDS = 30;
const INFO_EVERY_MS = 20;

/** `count` distinct hardware_info lines, numbered from `first`. */
function hardwareInfo(first: number, count: number): string {
  const hex = (value: number): string => value.toString(16).padStart(2, '0');
  return Array.from({ length: count }, (_, offset) => {
    const i = first + offset;
    const [a, b, c] = [(i >> 16) & 255, (i >> 8) & 255, i & 255];
    return `10.${a}.${b}.${c} 52:54:00:${hex(a)}:${hex(b)}:${hex(c)} root pw${i % 1000}`;
  }).join('\n');
}

/** As many lines from `first` as fit in the import limit. */
function oneMegabyte(first: number): string {
  let count = 20_000;
  while (hardwareInfo(first, count + 500).length < 999_000) count += 500;
  return hardwareInfo(first, count);
}

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? Number.NaN;
}

const round = (value: number): number => Math.round(value * 10) / 10;

async function throughTheServer(dataDir: string): Promise<{ add: number[]; info: number[]; importSeconds: number; imported: number }> {
  const app = await startHeadlessApp(dataDir);
  const actor = await connectApi(app.url);
  const watcher = await connectApi(app.url);
  try {
    const seeded = await actor.call('nodes.importHardwareInfo', { text: hardwareInfo(0, STORE_SIZE) });
    if (seeded.added !== STORE_SIZE) throw new Error(`seeding added ${seeded.added} of ${STORE_SIZE}`);
    const add: number[] = [];
    for (let i = 0; i < ADDS; i += 1) {
      const started = performance.now();
      await actor.call('nodes.add', { name: `bench-${i}`, bmcAddress: `172.16.0.${i + 1}`, bmcUser: 'root', bmcPassword: 'pw' });
      add.push(performance.now() - started);
    }
    const text = oneMegabyte(1_000_000);
    const info: number[] = [];
    let importing = true;
    const importStarted = performance.now();
    const imported = actor.call('nodes.importHardwareInfo', { text }).finally(() => (importing = false));
    while (importing) {
      const started = performance.now();
      await watcher.call('app.info', {});
      info.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, INFO_EVERY_MS));
    }
    const result = await imported;
    return { add, info, importSeconds: (performance.now() - importStarted) / 1000, imported: result.added };
  } finally {
    actor.close();
    watcher.close();
    await app.stop();
  }
}

async function scalingRatio(dataDir: string): Promise<number> {
  const plain: SecretBox = { scheme: 'plain-for-bench', seal: (text) => text, open: (text) => text };
  const best = async (lines: number): Promise<number> => {
    let fastest = Number.POSITIVE_INFINITY;
    for (let run = 0; run < 3; run += 1) {
      const store = await NodeStore.open(await mkdtemp(path.join(dataDir, 'scale-')), plain);
      const text = hardwareInfo(0, lines);
      const started = performance.now();
      await store.importHardwareInfo(text);
      fastest = Math.min(fastest, performance.now() - started);
    }
    return fastest;
  };
  return (await best(10_000)) / (await best(1_000));
}

function deltaApply(): number {
  const view = (i: number): NodeView => ({
    id: `node-${i}`,
    name: `n${i}`,
    bmcAddress: '10.0.0.1',
    bmcPort: 623,
    bmcUser: 'root',
    mac: null,
    notes: '',
    instance: null,
    systemGuid: null,
    inspectedAt: null,
    rootDeviceHints: null,
    eraseTargetDisk: false,
    cleaning: 'none',
    bmcProtocol: 'auto',
    redfishPort: 443,
    redfishSystemId: null,
    tlsTrust: null,
    bmcProtocolSeen: null,
    hasPassword: true,
    createdAt: '',
    updatedAt: '',
  });
  let nodes = Array.from({ length: STORE_SIZE }, (_, i) => view(i));
  let slowest = 0;
  for (let i = 0; i < 50; i += 1) {
    const started = performance.now();
    nodes = applyNodeDelta(nodes, { added: [view(STORE_SIZE + i)], changed: [], removed: [] });
    slowest = Math.max(slowest, performance.now() - started);
  }
  return slowest;
}

execFileSync('npm', ['run', 'build'], { stdio: ['ignore', process.stderr, process.stderr] });
const work = await mkdtemp(path.join(tmpdir(), 'rackboot-bench-nodes-'));
try {
  const served = await throughTheServer(path.join(work, 'data'));
  const result = {
    bench: 'nodes',
    add_ms_median: round(percentile(served.add, 0.5)),
    add_ms_max: round(Math.max(...served.add)),
    info_ms_max: round(Math.max(...served.info)),
    info_ms_p95: round(percentile(served.info, 0.95)),
    info_samples: served.info.length,
    import_1mb_s: round(served.importSeconds),
    import_1mb_servers: served.imported,
    scaling_ratio: round(await scalingRatio(work)),
    delta_ms_max: round(deltaApply()),
  };
  console.log(
    `nodes.add on ${STORE_SIZE} servers: median ${result.add_ms_median} ms, max ${result.add_ms_max} ms; app.info during a 1 MB import ` +
      `(${result.import_1mb_servers} servers, ${result.import_1mb_s} s): max ${result.info_ms_max} ms over ${result.info_samples} calls; ` +
      `import 10k÷1k lines ${result.scaling_ratio}×; renderer delta on ${STORE_SIZE} nodes: max ${result.delta_ms_max} ms`,
  );
  console.log(JSON.stringify(result));
} finally {
  await rm(work, { recursive: true, force: true });
}
