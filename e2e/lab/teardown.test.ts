import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultWorkDir, recordLabCreator, sortByCreator } from './teardown';

const ids: string[] = [];
const newId = (): string => {
  const id = randomBytes(3).toString('hex');
  ids.push(id);
  return id;
};

afterEach(async () => {
  for (const id of ids.splice(0)) await rm(`${defaultWorkDir(id)}.creator`, { force: true });
});

describe('which labs a plain "lab down" removes', () => {
  it('leaves a lab whose creator still runs and takes one whose creator is gone or unknown', async () => {
    const live = newId();
    const gone = newId();
    const unknown = newId();
    await recordLabCreator(live);
    const child = spawn('sleep', ['30']);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await recordLabCreator(gone, child.pid);
    child.kill();
    await exited;

    const { orphans, inUse } = await sortByCreator([live, gone, unknown]);

    expect(inUse).toEqual([{ id: live, creator: process.pid }]);
    expect(orphans).toEqual([gone, unknown]);
  });

  it('does not take a reused pid for the creator', async () => {
    const id = newId();
    await recordLabCreator(id);
    const record = `${defaultWorkDir(id)}.creator`;
    await writeFile(record, `${process.pid} 1\n`);

    expect((await sortByCreator([id])).orphans).toEqual([id]);
  });
});
