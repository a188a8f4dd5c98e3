/**
 * Regenerates electron/ipmi/codec/fixtures/ipmitool-lanplus-c3.json: runs ipmitool against ipmi_sim on loopback
 * while tcpdump records the UDP traffic, then stores each ipmitool run's datagrams in wire order as hex.
 * Run as root: npx tsx e2e/ipmi/capture-fixtures.ts
 */
import { execFile, spawn } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomPortBase, startIpmiSim } from './ipmi-sim';

const execFileAsync = promisify(execFile);
const OUTPUT = new URL('../../electron/ipmi/codec/fixtures/ipmitool-lanplus-c3.json', import.meta.url);
const GUID = 'a123456789abcdefa123456789abcdef';

interface Datagram {
  from: 'console' | 'bmc';
  hex: string;
}

/** Splits a pcap (Ethernet, IPv4, UDP) into datagrams per client port, in capture order. */
function datagramsByClient(pcap: Buffer, bmcPort: number): Datagram[][] {
  const runs = new Map<number, Datagram[]>();
  for (let offset = 24; offset + 16 <= pcap.length; ) {
    const length = pcap.readUInt32LE(offset + 8);
    const frame = pcap.subarray(offset + 16, offset + 16 + length);
    offset += 16 + length;
    const udp = 14 + ((frame[14] ?? 0) & 0x0f) * 4;
    const source = frame.readUInt16BE(udp);
    const destination = frame.readUInt16BE(udp + 2);
    const payload = frame.subarray(udp + 8, udp + frame.readUInt16BE(udp + 4));
    const toBmc = destination === bmcPort;
    const client = toBmc ? source : destination;
    if (!runs.has(client)) runs.set(client, []);
    runs.get(client)?.push({ from: toBmc ? 'console' : 'bmc', hex: payload.toString('hex') });
  }
  return [...runs.values()];
}

const port = randomPortBase();
const sim = await startIpmiSim({ port, guid: GUID });
const pcapFile = join(tmpdir(), `rackboot-ipmi-${port}.pcap`);
const tcpdump = spawn('tcpdump', ['-i', 'lo', '-U', '-w', pcapFile, 'udp', 'port', String(port)], { stdio: 'ignore' });
try {
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const ipmitool = (user: string, password: string, ...args: string[]) =>
    execFileAsync('ipmitool', ['-I', 'lanplus', '-C', '3', '-H', '127.0.0.1', '-p', String(port), '-U', user, '-P', password, ...args]).catch(() => undefined);
  const labels: string[] = [];
  const step = async (label: string, user: string, password: string, ...args: string[]) => {
    labels.push(label);
    await ipmitool(user, password, ...args);
  };
  await step('chassisStatus', 'root', 'password', 'chassis', 'status');
  await step('bootdevPxeEfi', 'root', 'password', 'chassis', 'bootdev', 'pxe', 'options=efiboot');
  await step('bootparamGet5', 'root', 'password', 'chassis', 'bootparam', 'get', '5');
  await step('mcGuid', 'root', 'password', 'mc', 'guid');
  await step('lanPrint', 'root', 'password', 'lan', 'print', '1');
  await step('mcInfo', 'root', 'password', 'mc', 'info');
  await step('wrongPassword', 'root', 'wrong', 'power', 'status');
  await step('unknownUser', 'nobody', 'password', 'power', 'status');
  labels.push('presencePing');
  await execFileAsync('rmcp_ping', ['-p', String(port), '127.0.0.1']).catch(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  tcpdump.kill('SIGINT');
  await new Promise((resolve) => tcpdump.once('exit', resolve));
  const runs = datagramsByClient(await readFile(pcapFile), port);
  const fixture = {
    description:
      'UDP payloads captured with tcpdump on loopback between ipmitool 1.8.19 (-I lanplus -C 3) and ipmi_sim (OpenIPMI 2.0.33), ' +
      'one list per ipmitool run, in wire order. BMC users: root/password (admin), op/oppass (operator). ' +
      `lan.conf guid ${GUID}. Regenerate with e2e/ipmi/capture-fixtures.ts.`,
    users: { root: 'password', op: 'oppass' },
    runs: Object.fromEntries(labels.map((label, index) => [label, label === 'presencePing' ? runs[index]?.slice(0, 2) : runs[index]])),
  };
  await writeFile(OUTPUT, `${JSON.stringify(fixture, null, 1)}\n`);
  console.log(`wrote ${labels.length} runs to ${OUTPUT.pathname}`);
} finally {
  if (tcpdump.exitCode === null) tcpdump.kill('SIGKILL');
  await rm(pcapFile, { force: true });
  await sim.stop();
}
