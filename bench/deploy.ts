import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PacketCapture, ensureKernel, parsePcap, startLab, type Kernel, type Lab, type LabServer } from '../e2e/lab';
import { buildTestImage } from '../e2e/deploy/test-image';
import { builtinRamdiskManifestSchema } from '../shared/deploy';
import { isRoot } from '../e2e/support/netns';
import { buildDeployCli, deployedAt, hardwareInfo, phaseDurations, powerOffAndWipe, powerOnToAgent, timedDeploy } from './deploy-cli';
import { startReferenceDeployServer, startRouterAdvertiser, type FloorTiming } from './reference-deploy';

/**
 * One lab server deployed by `rackboot deploy` (known by BMC and MAC, so no capture), from the CLI's start to its
 * `deployed` record; the same server deployed in the same run with reference tools and no orchestration (the floor:
 * power-on → image written, plus power cycle to disk → login prompt); then three servers in one `rackboot deploy`.
 * iPXE waits ~13 s for IPv6 router advertisements unless one comes, so the floor is measured with and without them
 * and compared under the condition Rackboot's own run had (seen on the wire); when Rackboot sent none, its deploy is
 * measured once more with a reference RA beside it (a line of its own, not in the result).
 */
const seconds = (ms: number): number => Math.round(ms) / 1000;

/**
 * Runs `rackboot deploy` for `servers`; returns seconds from the CLI's start to the last `deployed`, from power-on to
 * the agent's first request (the slowest server), and whether RAs were seen.
 */
async function ours(lab: Lab, servers: LabServer[], image: string, label: string): Promise<{ total: number; toAgent: number; routerAdvertisements: boolean }> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-bench-deploy-'));
  const capture = await PacketCapture.start(lab.prov, lab.provInterface, path.join(lab.workDir, `ra-${label}.pcap`), ['icmp6', 'and', 'ip6[40]', '==', '134']);
  try {
    const hwinfo = path.join(dataDir, 'hardware_info');
    await writeFile(hwinfo, hardwareInfo(servers));
    const run = await timedDeploy(lab, { hwinfo, image, dataDir });
    if (run.code !== 0 || run.finals.length !== servers.length) {
      throw new Error(`rackboot deploy exited ${run.code} with ${run.finals.length} node(s):\n${run.output.slice(-3000)}`);
    }
    const last = Math.max(...run.finals.map((record) => deployedAt(record, run.output)));
    for (const record of run.finals) {
      const fromRecord = seconds(deployedAt(record, run.output) - Date.parse(record.startedAt));
      const phases = phaseDurations(record).map(([phase, s]) => `${phase} ${s.toFixed(1)}`).join(', ');
      console.log(`${label} ${record.nodeId}: ${fromRecord} s from the record's start; ${phases}`);
    }
    const routerAdvertisements = parsePcap(await readFile(capture.path)).length > 0;
    const toAgent = Math.max(...run.finals.map(powerOnToAgent));
    return { total: seconds(last - run.spawnedAt), toAgent, routerAdvertisements };
  } finally {
    await capture.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function floor(lab: Lab, server: LabServer, image: string, kernel: Kernel, routerAdvertisements: boolean): Promise<number> {
  const reference = await startReferenceDeployServer(lab, kernel, image, { routerAdvertisements });
  let timing: FloorTiming;
  try {
    timing = await reference.deploy(server);
  } finally {
    await reference.stop();
  }
  const total = timing.writeSeconds + timing.diskBootSeconds;
  console.log(
    `floor (${routerAdvertisements ? 'with' : 'without'} router advertisements): power-on → image written ${timing.writeSeconds.toFixed(1)} s + power cycle → login prompt ${timing.diskBootSeconds.toFixed(1)} s = ${total.toFixed(1)} s`,
  );
  return total;
}

if (!isRoot()) {
  console.error('deploy bench needs root: it runs the virtual rack (network namespaces, ipmi_sim, QEMU).');
  process.exit(1);
}
await buildDeployCli();
const builtin = builtinRamdiskManifestSchema.parse(JSON.parse(await readFile('dist/ramdisk/manifest.json', 'utf8')));
const ramdiskMiB = (builtin.kernelBytes + builtin.initrdBytes) / 1048576;
console.log(`built-in ramdisk: kernel ${builtin.kernelRelease}, ${builtin.drivers} drivers, ${builtin.firmwareFiles} firmware files, kernel + initrd ${ramdiskMiB.toFixed(1)} MiB`);
const kernel = await ensureKernel();
const image = await buildTestImage(kernel);
const lab = await startLab({ servers: 3 });
// PacketCapture unrefs tcpdump (a capture may outlive `lab up`): while we only wait for it, Node must not think it is done.
const keepAlive = setInterval(() => undefined, 60_000);
try {
  const [server] = lab.servers;
  const single = await ours(lab, [server!], image, 'deploy');
  console.log(`rackboot deploy, one server: ${single.total} s from the CLI's start, ${single.toAgent.toFixed(1)} s from power-on to the agent's first request (router advertisements ${single.routerAdvertisements ? 'seen' : 'not seen'})`);
  await powerOffAndWipe(lab, [server!]);
  const floorWithout = await floor(lab, server!, image, kernel, false);
  await powerOffAndWipe(lab, [server!]);
  const floorWith = await floor(lab, server!, image, kernel, true);
  const floorSeconds = single.routerAdvertisements ? floorWith : floorWithout;
  if (!single.routerAdvertisements) {
    // What the overhead will be once Rackboot answers router solicitations itself: the same deploy with a reference RA.
    await powerOffAndWipe(lab, [server!]);
    const advertiser = await startRouterAdvertiser(lab);
    let withAdvertiser: { total: number };
    try {
      withAdvertiser = await ours(lab, [server!], image, 'deploy+ra');
    } finally {
      await advertiser.stop();
    }
    console.log(
      `rackboot deploy with a reference RA beside it: ${withAdvertiser.total} s; against the floor with RA ${floorWith.toFixed(1)} s: overhead ${(withAdvertiser.total / floorWith).toFixed(2)}`,
    );
  }
  await powerOffAndWipe(lab, lab.servers);
  const parallel = await ours(lab, lab.servers, image, 'parallel3');
  console.log(`rackboot deploy, three servers: ${parallel.total} s from the CLI's start to the last deployed`);
  const round = (value: number): number => Math.round(value * 100) / 100;
  console.log(
    JSON.stringify({ bench: 'deploy', deploy_s: round(single.total), floor_s: round(floorSeconds), overhead: round(single.total / floorSeconds), parallel3_s: round(parallel.total), ramdisk_mib: round(ramdiskMiB), power_on_to_agent_s: round(single.toAgent) }),
  );
} finally {
  clearInterval(keepAlive);
  await lab.stop();
}
