import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeCpio } from './cpio';

const haveCpio = (() => {
  try {
    execFileSync('cpio', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('cpio newc writer', () => {
  it('writes the same bytes for the same entries', () => {
    const entries = [{ kind: 'file' as const, path: 'init', data: Buffer.from('#!/bin/sh\n'), mode: 0o755 }];
    expect(writeCpio(entries).equals(writeCpio(entries))).toBe(true);
  });

  it('pads every header+name and every body to 4 bytes and ends with the trailer', () => {
    const archive = writeCpio([{ kind: 'file', path: 'a', data: Buffer.from('xyz') }]);
    expect(archive.length % 4).toBe(0);
    expect(archive.subarray(0, 6).toString()).toBe('070701');
    expect(archive.includes(Buffer.from('TRAILER!!!\0'))).toBe(true);
  });

  it('refuses paths that climb out of the archive', () => {
    expect(() => writeCpio([{ kind: 'dir', path: 'a/../../etc' }])).toThrow(/bad cpio path/);
  });

  it.skipIf(!haveCpio)('is unpacked by GNU cpio with modes, symlinks and contents intact', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rackboot-cpio-'));
    try {
      const archive = writeCpio([
        { kind: 'dir', path: 'bin' },
        { kind: 'file', path: 'bin/agent', data: Buffer.from('echo hi\n'), mode: 0o755 },
        { kind: 'symlink', path: 'init', target: 'bin/agent' },
        { kind: 'file', path: 'odd-size', data: Buffer.alloc(4099, 7) },
      ]);
      writeFileSync(path.join(dir, 'a.cpio'), archive);
      execFileSync('sh', ['-c', 'mkdir out && cd out && cpio -id --quiet < ../a.cpio'], { cwd: dir });
      expect(readFileSync(path.join(dir, 'out/bin/agent'), 'utf8')).toBe('echo hi\n');
      expect(statSync(path.join(dir, 'out/bin/agent')).mode & 0o777).toBe(0o755);
      expect(readlinkSync(path.join(dir, 'out/init'))).toBe('bin/agent');
      expect(readFileSync(path.join(dir, 'out/odd-size')).equals(Buffer.alloc(4099, 7))).toBe(true);
      const listing = execFileSync('sh', ['-c', 'cpio -it --quiet < a.cpio'], { cwd: dir, encoding: 'utf8' });
      expect(listing.trim().split('\n')).toEqual(['bin', 'bin/agent', 'init', 'odd-size']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
