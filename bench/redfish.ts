// Redfish against sushy-tools (OpenStack's Redfish BMC emulator, ../shared/peers/sushy-tools) over TLS with an auth
// file, reference tool measured in the same run:
//   ratio        power-status reads: redfishtool ms per call (a Python process per call, as a technician's script
//                runs it) ÷ Rackboot ms per call (electron/redfish, connection and login kept) (target ≥ 20)
//   sweep20_ms   Test connection of 20 BMCs at once, through the wizard's path (the built headless app, `bmc.test`
//                over its WebSocket → core → BmcService → RedfishPool), from a freshly started app: TLS handshakes,
//                service root, login check and system read included (target < 2000). Median of SWEEP_ROUNDS rounds,
//                each with a new app (nothing kept from the round before).
// 20 BMCs are modelled as 20 emulator processes, each on its own loopback address (127.R.0.1 … 127.R.0.20, one port)
// with its own self-signed certificate, auth file and state: a BMC is its own computer with its own TLS identity, and
// one emulator with 20 systems would be one BMC. All 20 share this machine's two cores, which real BMCs do not: the
// sweep is measured here under more load per BMC than a rack gives.
// The emulator has no SessionService, so Rackboot falls back to HTTP Basic on kept connections (docs/redfish.md); the
// emulator checks the bcrypt hash (cost 4) on every request, for both sides alike.
// Needs `npm run build` (the headless app). Run: `npm run bench -- redfish` (JSON is the last line).
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { RedfishClient, RedfishConnection } from '../electron/redfish';
import { startSushy, sushyMissing, type Sushy } from '../e2e/redfish/sushy';
import { connectApi, startHeadlessApp } from '../e2e/ui/headless-app';

const execFileAsync = promisify(execFile);
const USER = 'rackadmin';
const PASSWORD = 'Bench-pw-1';
const OUR_SAMPLES = 100;
const REDFISHTOOL_SAMPLES = 10;
const SWEEP_SIZE = 20;
const SWEEP_ROUNDS = 3;
const EMULATOR_STARTS_AT_ONCE = 4;
/** Linux's USER_HZ, the unit of /proc/PID/stat times. */
const CLOCK_TICKS_PER_S = 100;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** CPU time (user + system) a process has spent, in ms; 0 when it is gone. */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    // /proc/PID/stat: the fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return 0;
  }
}

interface SweepRound {
  ms: number;
  /** CPU the 20 emulators and Rackboot's app spent in the sweep: with two cores, (sum ÷ 2) is the sweep's floor. */
  emulatorCpuMs: number;
  appCpuMs: number;
  /** The machine's 1-minute load average after the round: other work competes for the same two cores. */
  loadAverage: number;
}

function emulator(listenIp: string, port: number, name: string): Promise<Sushy> {
  return startSushy({ listenIp, port, user: USER, password: PASSWORD, startLimitMs: 90_000, systems: [{ uuid: randomUUID(), name, mac: '52:54:00:00:00:01', powerState: 'On' }] });
}

async function latency(bmc: Sushy, address: string, port: number): Promise<{ ours: number; redfishtool: number }> {
  const client = new RedfishClient(new RedfishConnection({ address, port, user: USER, password: PASSWORD, trust: bmc.pin }), null);
  try {
    for (let warm = 0; warm < 10; warm += 1) await client.powerOn();
    const ours: number[] = [];
    for (let sample = 0; sample < OUR_SAMPLES; sample += 1) {
      const started = performance.now();
      if (!(await client.powerOn())) throw new Error('Rackboot read the emulated server as off; it was made on');
      ours.push(performance.now() - started);
    }
    const args = ['-r', `${address}:${port}`, '-u', USER, '-p', PASSWORD, '-S', 'Always', 'Systems', '-F', 'get', '-P', 'PowerState'];
    const redfishtool: number[] = [];
    for (let sample = 0; sample < REDFISHTOOL_SAMPLES; sample += 1) {
      const started = performance.now();
      const { stdout } = await execFileAsync('redfishtool', args);
      redfishtool.push(performance.now() - started);
      if (!/"PowerState":\s*"On"/.test(stdout)) throw new Error(`redfishtool answered: ${stdout}`);
    }
    return { ours: median(ours), redfishtool: median(redfishtool) };
  } finally {
    await client.close();
  }
}

/**
 * One system read from a throwaway client: a just-started emulator does its first-request work then (Python's lazy
 * imports, the fake driver making its state database), which a BMC that has been running for months has long done.
 */
async function warm(bmc: Sushy, address: string, port: number): Promise<void> {
  const client = new RedfishClient(new RedfishConnection({ address, port, user: USER, password: PASSWORD, trust: bmc.pin }), null);
  try {
    await client.read();
  } finally {
    await client.close();
  }
}

/**
 * One Test connection of every BMC at once, as the wizard's BMC step asks it for each row (`bmc.test` over the page's
 * WebSocket), from a freshly started headless app that has talked to none of them yet.
 */
async function sweep(bmcs: Sushy[], addresses: string[], port: number): Promise<SweepRound> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-redfish-bench-'));
  const app = await startHeadlessApp(dataDir);
  const api = await connectApi(app.url);
  try {
    const nodeIds: string[] = [];
    for (const [index, bmc] of bmcs.entries()) {
      const node = await api.call('nodes.add', {
        name: `rack-u${index + 1}`,
        bmcAddress: addresses[index]!,
        bmcUser: USER,
        bmcPassword: PASSWORD,
        bmcProtocol: 'redfish',
        redfishPort: port,
        // Trusted at an earlier Test connection (the certificate shown, "Trust this certificate").
        tlsTrust: bmc.pin,
      });
      nodeIds.push(node.id);
    }
    const emulatorCpu = bmcs.reduce((sum, bmc) => sum + cpuMs(bmc.pid), 0);
    const appCpu = cpuMs(app.pid);
    const started = performance.now();
    const results = await Promise.all(nodeIds.map((nodeId) => api.call('bmc.test', { nodeId })));
    const elapsed = performance.now() - started;
    const emulatorCpuMs = bmcs.reduce((sum, bmc) => sum + cpuMs(bmc.pid), 0) - emulatorCpu;
    const appCpuMs = cpuMs(app.pid) - appCpu;
    for (const result of results) {
      if (result.protocol !== 'redfish' || result.trust !== 'trusted' || result.powerOn !== true) {
        throw new Error(`Test connection did not read the system: ${JSON.stringify(result)}`);
      }
    }
    return { ms: elapsed, emulatorCpuMs, appCpuMs, loadAverage: os.loadavg()[0] ?? 0 };
  } finally {
    api.close();
    await app.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const missing = sushyMissing();
if (missing) {
  console.log(`redfish bench skipped: ${missing}.`);
  process.exit(0);
}
try {
  await execFileAsync('redfishtool', ['-h']);
} catch {
  console.error('redfish bench needs redfishtool (scripts/install-debian-packages.sh)');
  process.exit(1);
}

const round3 = (value: number): number => Math.round(value * 1000) / 1000;
const port = 20_000 + Math.floor(Math.random() * 20_000);
const subnet = `127.${100 + Math.floor(Math.random() * 150)}.0`;
const single = await emulator('127.0.0.1', port, 'bench-u0');
let result: { ours: number; redfishtool: number };
try {
  result = await latency(single, '127.0.0.1', port);
} finally {
  await single.stop();
}
console.log(`Rackboot median ${round3(result.ours)} ms over ${OUR_SAMPLES} reads; redfishtool median ${round3(result.redfishtool)} ms over ${REDFISHTOOL_SAMPLES} runs`);

const addresses = Array.from({ length: SWEEP_SIZE }, (_, index) => `${subnet}.${index + 1}`);
const rack: Sushy[] = [];
const sweeps: SweepRound[] = [];
try {
  // A few at a time: 20 Python start-ups at once on two cores would each take most of a minute.
  for (let first = 0; first < SWEEP_SIZE; first += EMULATOR_STARTS_AT_ONCE) {
    const batch = addresses.slice(first, first + EMULATOR_STARTS_AT_ONCE);
    const started = await Promise.allSettled(batch.map((address, index) => emulator(address, port, `bench-u${first + index + 1}`)));
    for (const outcome of started) if (outcome.status === 'fulfilled') rack.push(outcome.value);
    const failed = started.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failed) throw failed.reason;
  }
  await Promise.all(rack.map((bmc, index) => warm(bmc, addresses[index]!, port)));
  for (let round = 0; round < SWEEP_ROUNDS; round += 1) sweeps.push(await sweep(rack, addresses, port));
} finally {
  await Promise.all(rack.map((bmc) => bmc.stop()));
}

for (const round of sweeps) {
  console.log(`Test connection of ${SWEEP_SIZE} BMCs at once: ${Math.round(round.ms)} ms; CPU spent meanwhile: emulators ${Math.round(round.emulatorCpuMs)} ms, Rackboot's app ${Math.round(round.appCpuMs)} ms; load average ${round.loadAverage.toFixed(1)}`);
}
console.log(
  JSON.stringify({
    bench: 'redfish',
    ratio: round3(result.redfishtool / result.ours),
    sweep20_ms: round3(median(sweeps.map((round) => round.ms))),
    ours_ms: round3(result.ours),
    redfishtool_ms: round3(result.redfishtool),
  }),
);
