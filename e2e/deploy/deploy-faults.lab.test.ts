// Faults during a deploy in the virtual rack: a lossy link to the server while the image streams, and a BMC that
// stops answering right after the write. Each deploy must say what is going on in its log and still finish.
import { readFile } from 'node:fs/promises';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployRecord } from '../../shared/deploy';
import { ensureKernel, startLab, type Kernel, type Lab, type LabServer } from '../lab';
import { isRoot } from '../support/netns';
import { CLI, networkArgs, ramdiskArgs } from './deploy-cli';
import { buildTestImage } from './test-image';

const skip = !isRoot();
if (skip) console.log('deploy fault lab tests skipped: they need root (network namespaces, ipmi_sim, QEMU).');

interface Watched {
  code: number;
  records: DeployRecord[];
  messages: string[];
}

/** Runs `rackboot deploy --json` in the laptop namespace and hands every new state of the node to `onRecord`. */
function deployWatching(lab: Lab, args: string[], onRecord: (record: DeployRecord) => void): Promise<Watched> {
  return new Promise((resolve) => {
    const child = lab.prov.spawn(process.execPath, [CLI, 'deploy', '--json', ...args]);
    const records: DeployRecord[] = [];
    const messages: string[] = [];
    let pending = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const text of lines) {
        if (!text.startsWith('{')) continue;
        const parsed = JSON.parse(text) as { event: string; record?: DeployRecord; line?: { message: string } };
        if (parsed.record) {
          records.push(parsed.record);
          onRecord(parsed.record);
        }
        if (parsed.line) messages.push(parsed.line.message);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => messages.push(chunk.toString()));
    child.on('exit', (code) => resolve({ code: code ?? -1, records, messages }));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The ipmi_sim process that is this server's BMC (found by its config file among the rack namespace's processes). */
async function bmcPid(lab: Lab, server: LabServer): Promise<number> {
  const config = path.join(server.dir, 'lan.conf');
  for (const pid of await lab.rack.pids()) {
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (path.basename(cmdline[0] ?? '') === 'ipmi_sim' && cmdline.includes(config)) return pid;
  }
  throw new Error(`no ipmi_sim runs with ${config}`);
}

describe.skipIf(skip)('deploy faults in the virtual rack', () => {
  let lab: Lab;
  let kernel: Kernel;
  let image: string;
  let dataDir: string;
  let hwinfo: string;

  beforeAll(async () => {
    kernel = await ensureKernel();
    image = await buildTestImage(kernel);
    lab = await startLab({ servers: 1 });
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-deploy-faults-'));
    const server = lab.servers[0]!;
    hwinfo = path.join(dataDir, 'hardware_info');
    await writeFile(hwinfo, `${server.bmc.address} ${server.mac} ${server.bmc.user} ${server.bmc.password}\n`);
  });

  afterAll(async () => {
    await lab?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const args = async (name: string): Promise<string[]> => [
    '--hwinfo', hwinfo, '--image', image, ...networkArgs(lab), ...ramdiskArgs(kernel), '--disk', '/dev/vda',
    // Each test writes over the one before it: the disk holds its image.
    '--erase-disk', '--data-dir', await mkdtemp(path.join(dataDir, `${name}-`)),
  ];

  it('says when the image transfer stalls on a lossy link and finishes it by resuming with a Range request', async () => {
    const tap = lab.servers[0]!.tap;
    const tc = (...params: string[]): Promise<string> => lab.rack.exec('tc', ['qdisc', ...params]);
    // netem where the kernel has it; a kernel without sch_netem (this project's CI VMs) still rate-limits with tbf and
    // drops everything by unplugging the cable (the tap down), which is the stall at the heart of a lossy link.
    const netem = await tc('add', 'dev', tap, 'root', 'netem', 'rate', '20mbit').then(
      () => true,
      () => false,
    );
    if (netem) await tc('del', 'dev', tap, 'root');
    const slow = (): Promise<string> =>
      netem ? tc('add', 'dev', tap, 'root', 'netem', 'rate', '20mbit') : tc('add', 'dev', tap, 'root', 'tbf', 'rate', '20mbit', 'burst', '32k', 'latency', '400ms');
    const dropAll = (drop: boolean): Promise<string> =>
      netem ? tc('change', 'dev', tap, 'root', 'netem', 'loss', drop ? '100%' : '20%', 'rate', '20mbit') : lab.rack.ip('link', 'set', tap, drop ? 'down' : 'up');
    let faults: Promise<void> | null = null;
    try {
      let slowed = false;
      let dropped = false;
      const run = await deployWatching(lab, await args('loss'), (record) => {
        // Slow the link once the agent runs, so the image is still streaming when the link goes bad, 4 MiB into it.
        if (record.phase === 'agent-connected' && !slowed) {
          slowed = true;
          faults = slow().then(() => undefined);
        }
        if (record.bytesWritten >= 4 * 1024 * 1024 && faults && !dropped) {
          dropped = true;
          faults = faults.then(async () => {
            await dropAll(true);
            // The agent's writer first drains what its socket holds, and only then sees no new byte for 10 s: the
            // outage outlasts both. What the agent says during it reaches Rackboot once the link is back.
            await sleep(40_000);
            await dropAll(false);
            await sleep(8_000);
            await tc('del', 'dev', tap, 'root');
          });
        }
      });
      await faults;
      expect(run.code, run.messages.slice(-30).join('\n')).toBe(0);
      expect(run.records.at(-1)?.status).toBe('deployed');
      expect(run.messages).toContainEqual(expect.stringMatching(/^No progress for 1\d s waiting for verifying: the agent reports \d+ of \d+ bytes written; the HTTP server has sent the image's data up to byte \d+/));
      expect(run.messages).toContainEqual(expect.stringMatching(/^image transfer stalled: no new byte for 10 s at byte \d+ of \d+; cutting the connection to resume$/));
      expect(run.messages).toContainEqual(expect.stringMatching(/^image transfer interrupted at data byte \d+ of \d+; resuming from there \(HTTP Range\)$/));
      expect(run.messages).toContainEqual(expect.stringMatching(/^The agent resumes the image: serving its data from byte [1-9]\d* of \d+ \(HTTP Range\)\.$/));
    } finally {
      await lab.rack.ip('link', 'set', tap, 'up').catch(() => undefined);
      await tc('del', 'dev', tap, 'root').catch(() => undefined);
    }
  });

  it('keeps ordering boot-from-disk while the BMC is stopped for 45 s after the write, logging each retry, and deploys', async () => {
    const server = lab.servers[0]!;
    const pid = await bmcPid(lab, server);
    let outage: Promise<void> | null = null;
    try {
      const run = await deployWatching(lab, await args('bmc'), (record) => {
        if (record.phase !== 'verifying' || outage) return;
        process.kill(pid, 'SIGSTOP');
        outage = sleep(45_000).then(() => void process.kill(pid, 'SIGCONT'));
      });
      await outage;
      expect(run.code, run.messages.slice(-30).join('\n')).toBe(0);
      const final = run.records.at(-1)!;
      expect(final.status).toBe('deployed');
      const reached = (phase: DeployRecord['phase']): number => Date.parse(final.history.find((entry) => entry.phase === phase)!.at);
      // The 45 s went by in switching-to-disk, the phase that waited for the BMC.
      expect(reached('rebooting') - reached('switching-to-disk')).toBeGreaterThan(20_000);
      expect(run.messages).toContainEqual(expect.stringMatching(/^No answer from the BMC to .+; sent again \(retransmission \d\) while setting boot from disk\.$/));
      expect(run.messages).toContainEqual(expect.stringMatching(/^Try 1 failed while setting boot from disk: BMC .+ did not answer .+ Trying again; \d+ s left of the 120 s switching-to-disk allows\.$/));
      expect(run.messages).toContainEqual(expect.stringMatching(/^Still waiting for the BMC after 1\d s: setting boot from disk/));
    } finally {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // the lab is already gone
      }
    }
  });
});
