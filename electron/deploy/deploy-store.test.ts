import { spawn } from 'node:child_process';
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEPLOY_LOG_DIR, DEPLOYS_FILE, DeployStore } from './deploy-store';
import { initialRecord } from './state-machine';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-deploys-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const now = (): string => new Date().toISOString();

describe('deploy store', () => {
  it('removes the temp file a writer killed mid-write left beside the store, and keeps the last complete state', async () => {
    const store = await DeployStore.open(dir);
    await store.apply('n1', { kind: 'start', deployId: 'd1', imageId: 'i1', from: 'enrolled', at: now() }, initialRecord('n1', now()));
    // A pid no process has: the writer that left it is gone.
    const torn = path.join(dir, `.${DEPLOYS_FILE}.4194303.0123abcd.tmp`);
    await writeFile(torn, '{"version":1,"records":[{"nodeId":');
    const reopened = await DeployStore.open(dir);
    expect(await readdir(dir)).not.toContain(path.basename(torn));
    expect(reopened.get('n1')).toMatchObject({ deployId: 'd1' });
  });

  it('persists every transition', async () => {
    const store = await DeployStore.open(dir);
    await store.apply('n1', { kind: 'start', deployId: 'd1', imageId: 'i1', from: 'enrolled', at: now() }, initialRecord('n1', now()));
    await store.apply('n1', { kind: 'reached', phase: 'bmc-verified', at: now() });
    await store.apply('n1', { kind: 'reached', phase: 'deployed', at: now() });
    const reopened = await DeployStore.open(dir);
    expect(reopened.get('n1')).toMatchObject({ status: 'deployed', phase: 'deployed' });
    expect(reopened.get('n1')!.history.map((entry) => entry.phase)).toEqual(['enrolled', 'bmc-verified', 'deployed']);
  });

  it('marks a deploy that was running when the process died as failed where it stopped', async () => {
    const store = await DeployStore.open(dir);
    await store.apply('n1', { kind: 'start', deployId: 'd1', imageId: 'i1', from: 'enrolled', at: now() }, initialRecord('n1', now()));
    await store.apply('n1', { kind: 'reached', phase: 'writing-image', at: now() });
    const reopened = await DeployStore.open(dir);
    expect(reopened.get('n1')).toMatchObject({
      status: 'failed',
      failure: { phase: 'writing-image', reason: expect.stringContaining('retry to resume') },
    });
  });

  it('keeps log lines and skips a line torn by a crash', async () => {
    const store = await DeployStore.open(dir);
    await store.appendLog('n1', { time: now(), level: 'info', source: 'agent', message: 'job received' });
    await appendFile(path.join(dir, DEPLOY_LOG_DIR, 'n1.jsonl'), '{"time":"2026-');
    expect((await store.readLog('n1')).map((line) => line.message)).toEqual(['job received']);
  });

  it('never reads or writes a log outside its folder, whatever the node id', async () => {
    const store = await DeployStore.open(path.join(dir, 'data'));
    const outside = path.join(dir, 'outside.jsonl');
    const line = `${JSON.stringify({ time: now(), level: 'info', source: 'x', message: 'another file' })}\n`;
    await writeFile(outside, line);
    for (const nodeId of ['../../outside', '../outside', '..', '.', 'a/b', 'a\\b', '/tmp/x', 'n1.jsonl', '', 'n1\n']) {
      await expect(store.readLog(nodeId), nodeId).rejects.toThrow(/^Not a node id/);
      await expect(store.appendLog(nodeId, { time: now(), level: 'info', source: 'x', message: 'y' }), nodeId).rejects.toThrow(/^Not a node id/);
    }
    expect(await readFile(outside, 'utf8')).toBe(line);
    expect(await readdir(dir)).toEqual(['outside.jsonl']);
  });

  it('survives kill -9 in the middle of a stream of transitions', async () => {
    const script = `
      const { DeployStore } = await import(${JSON.stringify(path.resolve('electron/deploy/deploy-store.ts'))});
      const { initialRecord } = await import(${JSON.stringify(path.resolve('electron/deploy/state-machine.ts'))});
      const store = await DeployStore.open(process.argv[1]);
      for (let i = 0; ; i++) {
        const at = new Date().toISOString();
        const id = 'n' + (i % 5);
        const record = store.get(id);
        if (!record || record.status !== 'running') await store.apply(id, { kind: 'start', deployId: 'd' + i, imageId: null, from: 'enrolled', at }, initialRecord(id, at));
        else await store.apply(id, { kind: 'progress', bytesWritten: i, bytesTotal: 1e9, at });
        await store.appendLog(id, { time: at, level: 'info', source: 'test', message: 'line ' + i });
        if (i === 20) process.stdout.write('busy\\n');
      }
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const store = await DeployStore.open(dir);
    expect(store.list().length).toBeGreaterThan(0);
    for (const record of store.list()) expect(record.status).toBe('failed');
    expect((await store.readLog('n0')).length).toBeGreaterThan(0);
  });
});
