import { readFileSync, rmSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Netns } from '../support/netns';
import { labIdOfNamespace, labNamespaces } from './rack-plan';

/**
 * Removing labs: every process of a lab lives in one of its namespaces (ipmi_sim, QEMU started by chassis control,
 * tcpdump, whatever a test ran there), so killing a namespace's pids and deleting it leaves nothing behind.
 */

const GRACE_MS = 3000;

export function defaultWorkDir(labId: string): string {
  // The id becomes part of a path that gets deleted: never let it be anything but the 6 hex digits we make.
  if (!/^[0-9a-f]{6}$/.test(labId)) throw new Error(`"${labId}" is not a lab id (6 hex digits).`);
  return join(tmpdir(), `rackboot-lab-${labId}`);
}

/**
 * Who started a lab, so that a plain "down" leaves alone the labs another run is still using. Kept beside the work
 * dir (not in it) so it exists before anything else of the lab does. The process's start time guards against a
 * reused pid.
 */
function creatorFile(labId: string): string {
  return `${defaultWorkDir(labId)}.creator`;
}

function processStartTime(pid: number): string | undefined {
  try {
    // Field 22 of /proc/PID/stat, counted after the parenthesised command name (which may hold spaces).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export async function recordLabCreator(labId: string, pid = process.pid): Promise<void> {
  await writeFile(creatorFile(labId), `${pid} ${processStartTime(pid) ?? ''}\n`);
}

/** The pid of the process that started the lab while it still runs; undefined once it is gone or unknown. */
export async function runningLabCreator(labId: string): Promise<number | undefined> {
  const record = await readFile(creatorFile(labId), 'utf8').catch(() => '');
  const [pidText, startTime] = record.trim().split(' ');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0 || !startTime) return undefined;
  return processStartTime(pid) === startTime ? pid : undefined;
}

/** Splits labs into those whose creator is gone (safe to remove) and those a running process still uses. */
export async function sortByCreator(labIds: string[]): Promise<{ orphans: string[]; inUse: { id: string; creator: number }[] }> {
  const orphans: string[] = [];
  const inUse: { id: string; creator: number }[] = [];
  for (const id of labIds) {
    const creator = await runningLabCreator(id);
    if (creator === undefined) orphans.push(id);
    else inUse.push({ id, creator });
  }
  return { orphans, inUse };
}

/** SIGTERM to everything in the namespaces, SIGKILL to what is left after a grace period, then delete them. */
async function removeNamespaces(names: string[]): Promise<void> {
  const namespaces = names.map((name) => Netns.existing(name));
  const signal = async (sig: NodeJS.Signals | 0): Promise<number> => {
    let alive = 0;
    for (const ns of namespaces) {
      for (const pid of await ns.pids()) {
        alive += 1;
        try {
          process.kill(pid, sig);
        } catch {
          // exited meanwhile
        }
      }
    }
    return alive;
  };
  await signal('SIGTERM');
  const deadline = Date.now() + GRACE_MS;
  while (Date.now() < deadline && (await signal(0)) > 0) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  for (const ns of namespaces) await ns.destroy();
}

export async function removeLab(labId: string, workDir: string | undefined): Promise<void> {
  await removeNamespaces(Object.values(labNamespaces(labId)));
  if (workDir) await rm(workDir, { recursive: true, force: true });
  await rm(creatorFile(labId), { force: true });
}

/** removeLab for process.on('exit'): no grace period, everything gets SIGKILL. */
export function removeLabSync(labId: string, workDir: string | undefined): void {
  for (const name of Object.values(labNamespaces(labId))) Netns.existing(name).destroySync();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  rmSync(creatorFile(labId), { force: true });
}

/** Ids of all labs on this host that still have a namespace, a default work dir or a creator record (crashed runs included). */
export async function findLabs(): Promise<string[]> {
  const fromNamespaces = (await Netns.list()).map(labIdOfNamespace);
  const fromWorkDirs = (await readdir(tmpdir())).map((name) => /^rackboot-lab-([0-9a-f]{6})(\.creator)?$/.exec(name)?.[1]);
  return [...new Set([...fromNamespaces, ...fromWorkDirs].filter((id): id is string => id !== undefined))];
}
