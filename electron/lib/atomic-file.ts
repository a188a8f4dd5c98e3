import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * Replaces a file so that a crash at any instant leaves either the old or the new content, never a torn one:
 * write a temp file beside it, fsync it, rename over the target, fsync the directory so the rename itself is durable.
 * Data given in chunks is written chunk by chunk, so a large file never has to be one string in memory.
 */
export async function writeFileAtomic(
  target: string,
  data: string | Uint8Array | AsyncIterable<string>,
  mode = 0o600,
): Promise<void> {
  const dir = path.dirname(target);
  await fs.mkdir(dir, { recursive: true });
  const temp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await fs.open(temp, 'w', mode);
  try {
    if (typeof data === 'string' || data instanceof Uint8Array) await handle.writeFile(data);
    else for await (const chunk of data) await handle.write(chunk);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(temp, target);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
  const dirHandle = await fs.open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}

/** Reads a JSON file written by writeFileAtomic; a missing file is `undefined`. */
export async function readJsonFile(file: string): Promise<unknown> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as unknown;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Whether a process with this id runs now (one we may not signal runs too). */
function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temp files writeFileAtomic left beside `target` when its process was killed mid-write (kill -9, power
 * loss). Call it when opening the store that owns `target`, before that store writes: a temp file of this process is
 * then stale too, and one of another running process is left alone, as it may be writing right now.
 */
export async function removeStaleTemporaries(target: string): Promise<string[]> {
  const prefix = `.${path.basename(target)}.`;
  return removeStaleIn(path.dirname(target), (name) => (name.startsWith(prefix) ? name.slice(prefix.length) : null));
}

/**
 * The same for every file of a folder that one store owns whole (one file per node): the temp files writeFileAtomic
 * left beside any of them.
 */
export async function removeStaleTemporariesInFolder(dir: string): Promise<string[]> {
  return removeStaleIn(dir, (name) => {
    const match = /^\.[^/]+?\.(\d+\.[0-9a-f]{8}\.tmp)$/.exec(name);
    return match ? match[1]! : null;
  });
}

/** `tail` gives the `<pid>.<random>.tmp` end of a temp file's name, or null for a name that is not one of ours. */
async function removeStaleIn(dir: string, tail: (name: string) => string | null): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const removed: string[] = [];
  for (const name of names) {
    const rest = tail(name);
    const match = rest === null ? null : /^(\d+)\.[0-9a-f]{8}\.tmp$/.exec(rest);
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid !== process.pid && processRuns(pid)) continue;
    await fs.rm(path.join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}
