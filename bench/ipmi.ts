import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ipmiTargetSchema } from '../shared/ipmi';
import { IpmiClient } from '../electron/ipmi/client';
import { missingTools, randomPortBase, startIpmiSim, startIpmiSims, type SimInstance } from '../e2e/ipmi/ipmi-sim';

/**
 * Power status latency of our client on a reused session against `ipmitool -I lanplus -C 3 … power status`
 * (a process and a full RMCP+ login per call, as scripts use it), same ipmi_sim, same run; then the wall time to
 * read power status from 50 BMCs at once, logins included.
 * The simulators answer power status from their own state (no chassis_control program), as a real BMC does.
 */
const execFileAsync = promisify(execFile);
const OUR_SAMPLES = 200;
const IPMITOOL_SAMPLES = 15;
const SWEEP_SIZE = 50;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function clientFor(sim: SimInstance): IpmiClient {
  return new IpmiClient(ipmiTargetSchema.parse({ address: sim.address, port: sim.port, user: 'root', password: 'password', cipherSuite: 3 }));
}

async function latency(sim: SimInstance): Promise<{ ours: number; ipmitool: number }> {
  const client = clientFor(sim);
  try {
    for (let warm = 0; warm < 20; warm += 1) await client.getChassisStatus();
    const ours: number[] = [];
    for (let sample = 0; sample < OUR_SAMPLES; sample += 1) {
      const started = performance.now();
      await client.getChassisStatus();
      ours.push(performance.now() - started);
    }
    const args = ['-I', 'lanplus', '-C', '3', '-H', sim.address, '-p', String(sim.port), '-U', 'root', '-P', 'password', 'power', 'status'];
    const ipmitool: number[] = [];
    for (let sample = 0; sample < IPMITOOL_SAMPLES; sample += 1) {
      const started = performance.now();
      const { stdout } = await execFileAsync('ipmitool', args);
      ipmitool.push(performance.now() - started);
      if (!stdout.includes('Chassis Power is')) throw new Error(`ipmitool answered: ${stdout}`);
    }
    return { ours: median(ours), ipmitool: median(ipmitool) };
  } finally {
    await client.close();
  }
}

async function sweep(sims: SimInstance[]): Promise<number> {
  const clients = sims.map(clientFor);
  try {
    const started = performance.now();
    const statuses = await Promise.all(clients.map((client) => client.getChassisStatus()));
    const elapsed = performance.now() - started;
    if (statuses.length !== sims.length) throw new Error('sweep lost answers');
    return elapsed;
  } finally {
    await Promise.all(clients.map((client) => client.close()));
  }
}

const missing = missingTools();
if (missing) {
  console.error(`ipmi bench needs ${missing}`);
  process.exit(1);
}
const base = randomPortBase(SWEEP_SIZE + 1);
const single = await startIpmiSim({ port: base, chassisControl: false });
let result: { ours: number; ipmitool: number };
try {
  result = await latency(single);
} finally {
  await single.stop();
}
const many = await startIpmiSims(Array.from({ length: SWEEP_SIZE }, (_, index) => ({ port: base + 1 + index, chassisControl: false })));
let sweepMs: number;
try {
  sweepMs = await sweep(many);
} finally {
  await Promise.all(many.map((sim) => sim.stop()));
}
const round = (value: number) => Math.round(value * 1000) / 1000;
console.log(`ours median ${round(result.ours)} ms over ${OUR_SAMPLES} calls; ipmitool median ${round(result.ipmitool)} ms over ${IPMITOOL_SAMPLES} runs`);
console.log(
  JSON.stringify({
    bench: 'ipmi',
    ours_ms: round(result.ours),
    ipmitool_ms: round(result.ipmitool),
    ratio: round(result.ipmitool / result.ours),
    sweep50_ms: round(sweepMs),
  }),
);
