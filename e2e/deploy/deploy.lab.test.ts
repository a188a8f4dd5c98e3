import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { copyFile, mkdtemp, rm, stat, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOY_PHASES } from '../../shared/deploy';
import { DeployStore } from '../../electron/deploy/deploy-store';
import { ensureKernel, startLab, waitForSerial, type Kernel, type Lab } from '../lab';
import { isRoot } from '../support/netns';
import { CLI, bmcArg, networkArgs, ramdiskArgs, runDeployCli } from './deploy-cli';
import { DEPLOYED_MARKER, buildTestImage, sha256OfPrefix } from './test-image';

const skip = !isRoot();
if (skip) console.log('deploy lab tests skipped: they need root (network namespaces, ipmi_sim, QEMU).');

async function sha256(file: string): Promise<string> {
  return sha256OfPrefix(file, (await stat(file)).size);
}

describe.skipIf(skip)('deploy engine end to end in the virtual rack', () => {
  let lab: Lab;
  let kernel: Kernel;
  let image: string;
  let dataDir: string;

  beforeAll(async () => {
    kernel = await ensureKernel();
    image = await buildTestImage(kernel);
    lab = await startLab({ servers: 3 });
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-deploy-'));
  });

  afterAll(async () => {
    await lab?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('takes three servers known only by their BMC to running the written image, in parallel', async () => {
    const run = await runDeployCli(lab, [
      ...lab.servers.flatMap((server) => ['--bmc', bmcArg(server)]),
      '--image', image,
      ...networkArgs(lab),
      ...ramdiskArgs(kernel),
      '--disk', '/dev/vda',
      '--data-dir', dataDir,
    ]);
    expect(run.code, run.output.slice(-4000)).toBe(0);
    const imageSize = (await stat(image)).size;
    const imageSum = await sha256(image);
    const finals = new Map(run.records.map((record) => [record.nodeId, record]));
    expect(finals.size).toBe(3);
    for (const record of finals.values()) {
      expect(record.status).toBe('deployed');
      expect(record.history.map((entry) => entry.phase)).toEqual([...DEPLOY_PHASES]);
    }
    for (const server of lab.servers) {
      expect(await sha256OfPrefix(server.diskPath, imageSize)).toBe(imageSum);
      await waitForSerial(server, new RegExp(DEPLOYED_MARKER), { timeoutMs: 5_000 });
      expect(run.output).toContain(`Captured MAC ${server.mac}`);
    }
    // All three were in flight together: each one's write began before the first one was deployed.
    const firstDeployed = Math.min(...[...finals.values()].map((record) => Date.parse(record.history.at(-1)!.at)));
    for (const record of finals.values()) {
      const writing = record.history.find((entry) => entry.phase === 'writing-image')!;
      expect(Date.parse(writing.at)).toBeLessThan(firstDeployed);
    }
  });

  it('fails only the node with the wrong BMC password, and times out a server whose NIC never PXE-boots, each with its hint', async () => {
    const [first, second] = lab.servers;
    await lab.rack.ip('link', 'set', second!.tap, 'down');
    try {
      const run = await runDeployCli(
        lab,
        [
          '--bmc', `${first!.bmc.user}:not-the-password@${first!.bmc.address}`,
          '--bmc', bmcArg(second!),
          '--image', image,
          ...networkArgs(lab),
          ...ramdiskArgs(kernel),
          '--data-dir', await mkdtemp(path.join(dataDir, 'faults-')),
        ],
        { RACKBOOT_TIMEOUT_SCALE: '0.2' },
      );
      expect(run.code).toBe(1);
      const finals = [...new Map(run.records.map((record) => [record.nodeId, record])).values()];
      const failures = finals.map((record) => record.failure);
      expect(failures).toContainEqual(
        expect.objectContaining({ phase: 'enrolled', reason: expect.stringContaining('wrong password — check BMC LAN Configuration in BIOS') }),
      );
      expect(failures).toContainEqual(
        expect.objectContaining({ phase: 'bmc-verified', reason: expect.stringContaining('is PXE enabled on NIC1 and the cable in the provisioning switch?') }),
      );
      expect(run.output).not.toContain('not-the-password');
    } finally {
      await lab.rack.ip('link', 'set', second!.tap, 'up');
    }
  });

  it('refuses an image bigger than the disk before any byte is written', async () => {
    const server = lab.servers[2]!;
    const tooBig = path.join(dataDir, 'too-big.raw');
    await copyFile(image, tooBig);
    await truncate(tooBig, 80 * 1024 * 1024);
    const hwinfo = path.join(dataDir, 'hardware_info');
    await writeFile(hwinfo, `${server.bmc.address} ${server.mac} ${server.bmc.user} ${server.bmc.password}\n`);
    const run = await runDeployCli(lab, ['--hwinfo', hwinfo, '--image', tooBig, ...networkArgs(lab), ...ramdiskArgs(kernel), '--disk', '/dev/vda', '--data-dir', await mkdtemp(path.join(dataDir, 'verify-'))]);
    expect(run.code).toBe(1);
    expect(run.records.at(-1)).toMatchObject({ status: 'failed', failure: { phase: 'agent-connected', reason: expect.stringMatching(/Refused to write the image: the image needs .* but vda .* holds only/) } });
    expect(run.records.at(-1)?.history.map((entry) => entry.phase)).not.toContain('writing-image');
  });

  it('comes back from kill -9 during the write of a gzip image with the node retryable and its log kept, and the retry deploys it', async () => {
    const server = lab.servers[0]!;
    const packed = path.join(dataDir, 'installed.raw.gz');
    await pipeline(createReadStream(image), createGzip(), createWriteStream(packed));
    const hwinfo = path.join(dataDir, 'hardware_info-kill');
    await writeFile(hwinfo, `${server.bmc.address} ${server.mac} ${server.bmc.user} ${server.bmc.password}\n`);
    const stateDir = await mkdtemp(path.join(dataDir, 'kill-'));
    const args = ['--hwinfo', hwinfo, '--image', packed, ...networkArgs(lab), ...ramdiskArgs(kernel), '--disk', '/dev/vda', '--erase-disk', '--data-dir', stateDir];
    const child = lab.prov.spawn(process.execPath, [CLI, 'deploy', '--json', ...args]);
    await new Promise<void>((resolve) => {
      let output = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('"phase":"writing-image"')) resolve();
      });
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));

    const store = await DeployStore.open(stateDir);
    const [record] = store.list();
    expect(record).toMatchObject({ status: 'failed', failure: { phase: 'writing-image', reason: expect.stringContaining('retry to resume') } });
    expect((await store.readLog(record!.nodeId)).map((line) => line.message)).toEqual(expect.arrayContaining([expect.stringContaining('Reached booting-pxe')]));

    const retry = await runDeployCli(lab, args);
    expect(retry.code, retry.output.slice(-3000)).toBe(0);
    const resumed = retry.records.at(-1)!;
    expect(resumed.status).toBe('deployed');
    expect(resumed.history.map((entry) => entry.phase)).toContain('writing-image');
    expect(retry.output).toMatch(/job received: \d+ data bytes of a \d+-byte image \(gzip\)/);
    expect(resumed.history.filter((entry) => entry.phase === 'mac-captured').length, JSON.stringify(retry.records.map((r) => [r.status, r.history.map((h) => h.phase)]))).toBe(2);
  });
});
