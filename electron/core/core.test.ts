import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NodeView } from '../../shared/nodes';
import { KeyFileSecretBox } from '../inventory/secret-box';
import { createCore, type Core } from './core';

let dir: string;
let core: Core;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-core-'));
  core = await createCore({
    dataDir: path.join(dir, 'data'),
    secrets: await KeyFileSecretBox.load(path.join(dir, 'data', 'secret.key')),
    shell: 'headless',
    version: 'test',
  });
});
afterEach(async () => {
  await core.close();
  await rm(dir, { recursive: true, force: true });
});

const line = (message: string): string => `${JSON.stringify({ time: '2026-12-02T04:00:00.000Z', level: 'info', source: 'deploy', message })}\n`;

describe('deploy.log', () => {
  it('reads the deploy log of an enrolled server', async () => {
    const added = await core.call('nodes.add', { name: 'rack-u1', bmcAddress: '192.0.2.10', bmcUser: 'root', bmcPassword: 'pw' });
    const node = (added as { ok: true; output: NodeView }).output;
    await mkdir(path.join(dir, 'data', 'deploy-logs'), { recursive: true });
    await writeFile(path.join(dir, 'data', 'deploy-logs', `${node.id}.jsonl`), line('Reached dhcp.'));
    expect(await core.call('deploy.log', { nodeId: node.id })).toEqual({ ok: true, output: [expect.objectContaining({ message: 'Reached dhcp.' })] });
  });

  it('refuses a node id that climbs out of the log folder, and never reads the file it names', async () => {
    await writeFile(path.join(dir, 'outside.jsonl'), line('a file outside the deploy logs'));
    await writeFile(path.join(dir, 'data', 'outside.jsonl'), line('a file outside the deploy logs'));
    for (const nodeId of ['../../outside', '../outside', '..%2F..%2Foutside', '/etc/passwd']) {
      const answer = await core.call('deploy.log', { nodeId });
      expect(answer, nodeId).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
      expect(JSON.stringify(answer)).not.toContain('a file outside');
    }
  });

  it('answers that the server is unknown for a well-formed id no server has', async () => {
    expect(await core.call('deploy.log', { nodeId: 'no-such-node' })).toMatchObject({ ok: false, error: { code: 'node-not-found' } });
  });
});

describe('bmc.test', () => {
  it('says why a long password cannot go over IPMI when auto found no Redfish service, instead of cutting it short', async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const password = 'a-redfish-length-password-of-36-bytes';
    const added = await core.call('nodes.add', { name: 'rack-u2', bmcAddress: '127.0.0.1', bmcPort: closed, bmcUser: 'admin', bmcPassword: password, redfishPort: closed });
    const node = (added as { ok: true; output: NodeView }).output;
    expect(node.bmcProtocol).toBe('auto');
    const answer = await core.call('bmc.test', { nodeId: node.id });
    expect(answer).toMatchObject({
      ok: false,
      error: {
        message: `No Redfish service answered at 127.0.0.1:${closed}, so this BMC is driven over IPMI, and IPMI 2.0 passwords are at most 20 bytes (20 plain characters, fewer with accents); a longer one needs the Redfish protocol. Turn on the BMC's Redfish (HTTPS) service or make it reachable from this laptop, or set shorter credentials on the BMC and here.`,
      },
    });
    expect(JSON.stringify(answer)).not.toContain(password);
  });
});
