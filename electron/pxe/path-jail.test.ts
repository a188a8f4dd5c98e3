import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRequestedName, resolveInRoot } from './path-jail';

describe('checkRequestedName', () => {
  it.each([
    ['../etc/passwd', 'parent-segment'],
    ['boot/../../x', 'parent-segment'],
    ['/etc/passwd', 'absolute'],
    ['C:/boot.ini', 'absolute'],
    ['..\\x', 'backslash'],
    ['boot\\x', 'backslash'],
    ['a\nb', 'control-character'],
    ['', 'empty'],
    ['./', 'empty'],
  ])('refuses %j (%s)', (name, refusal) => {
    expect(checkRequestedName(name)).toEqual({ ok: false, refusal });
  });

  it('accepts nested names and drops "." and empty segments', () => {
    expect(checkRequestedName('ipxe//./undionly.kpxe')).toEqual({ ok: true, segments: ['ipxe', 'undionly.kpxe'] });
  });

  it('accepts names that merely contain two dots', () => {
    expect(checkRequestedName('vmlinuz..old')).toEqual({ ok: true, segments: ['vmlinuz..old'] });
  });
});

describe('resolveInRoot', () => {
  let base: string;
  let root: string;
  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'rackboot-jail-'));
    root = path.join(base, 'root');
    await mkdir(path.join(root, 'boot'), { recursive: true });
    await writeFile(path.join(root, 'boot', 'kernel'), 'kernel');
    await writeFile(path.join(base, 'secret'), 'secret');
    await symlink('../secret', path.join(root, 'escape'));
    await symlink('/etc', path.join(root, 'etc-link'));
    await symlink('boot/kernel', path.join(root, 'kernel-link'));
  });
  afterAll(() => rm(base, { recursive: true, force: true }));

  it('finds a file inside the root', async () => {
    expect(await resolveInRoot(root, 'boot/kernel')).toMatchObject({ ok: true, size: 6 });
  });

  it('follows a symlink that stays inside the root', async () => {
    expect(await resolveInRoot(root, 'kernel-link')).toMatchObject({ ok: true, path: path.join(root, 'boot', 'kernel') });
  });

  it('refuses a symlink that leads out of the root', async () => {
    expect(await resolveInRoot(root, 'escape')).toEqual({ ok: false, refusal: 'outside-root' });
  });

  it('refuses a path through a symlinked directory outside the root', async () => {
    expect(await resolveInRoot(root, 'etc-link/hostname')).toEqual({ ok: false, refusal: 'outside-root' });
  });

  it('refuses a directory', async () => {
    expect(await resolveInRoot(root, 'boot')).toEqual({ ok: false, refusal: 'not-a-file' });
  });

  it('reports a missing file as not found', async () => {
    expect(await resolveInRoot(root, 'nope')).toEqual({ ok: false, refusal: 'not-found' });
  });
});
