import { parseArgs } from 'node:util';
import { startLab, describeLab } from './lab';
import type { Firmware, NicRom } from './rack-plan';
import { defaultWorkDir, findLabs, removeLab, sortByCreator } from './teardown';

const USAGE = `Usage:
  npm run lab -- up [--servers N] [--firmware bios|uefi] [--nic-rom ipxe|none] [--memory MiB] [--disk MiB] [--persistent-boot] [--foreground]
      Starts a lab and prints it as JSON. It keeps running after the command ends (remove it with "down"),
      unless --foreground: then it runs until Ctrl-C and is removed on the way out.
  npm run lab -- down [--all] [LAB_ID...]
      Kills every process of the given labs and deletes their namespaces and work dirs. Without ids: the labs whose
      creator is gone (started by "up", or left by a crashed run); a lab that a running test still uses is left
      alone unless --all is given.
  npm run lab -- list
      Prints the ids of the labs on this host.`;

/** Labs whose creator is gone; names the ones left alone. */
async function labsLeftBehind(): Promise<string[]> {
  const { orphans, inUse } = await sortByCreator(await findLabs());
  for (const { id, creator } of inUse) {
    console.log(`Left lab ${id}: the process that started it (pid ${creator}) still runs; --all removes it too.`);
  }
  return orphans;
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      servers: { type: 'string', default: '1' },
      firmware: { type: 'string', default: 'bios' },
      'nic-rom': { type: 'string', default: 'ipxe' },
      memory: { type: 'string', default: '512' },
      disk: { type: 'string', default: '64' },
      'persistent-boot': { type: 'boolean', default: false },
      foreground: { type: 'boolean', default: false },
      all: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return;
  }
  switch (command) {
    case 'up': {
      if (values.firmware !== 'bios' && values.firmware !== 'uefi') {
        throw new Error(`--firmware is bios or uefi, not "${values.firmware}".`);
      }
      const nicRom = values['nic-rom'];
      if (nicRom !== 'ipxe' && nicRom !== 'none') {
        throw new Error(`--nic-rom is ipxe or none, not "${nicRom}".`);
      }
      const lab = await startLab({
        servers: Number(values.servers),
        firmware: values.firmware satisfies Firmware,
        nicRom: nicRom satisfies NicRom,
        memoryMiB: Number(values.memory),
        diskMiB: Number(values.disk),
        persistentBootDevice: values['persistent-boot'],
        outliveProcess: !values.foreground,
      });
      console.log(JSON.stringify(describeLab(lab), null, 2));
      if (values.foreground) {
        console.error(`Lab ${lab.id} is up; Ctrl-C removes it.`);
        await new Promise(() => setInterval(() => undefined, 1 << 30));
      } else {
        console.error(`Lab ${lab.id} is up; "npm run lab -- down ${lab.id}" removes it.`);
      }
      return;
    }
    case 'down': {
      const ids = rest.length > 0 || values.all ? (rest.length > 0 ? rest : await findLabs()) : await labsLeftBehind();
      const workDirs = ids.map(defaultWorkDir);
      for (const [i, id] of ids.entries()) {
        await removeLab(id, workDirs[i]);
        console.log(`Removed lab ${id}.`);
      }
      if (ids.length === 0) console.log('No lab to remove.');
      return;
    }
    case 'list': {
      for (const id of await findLabs()) console.log(id);
      return;
    }
    default:
      throw new Error(`Unknown command "${command}".\n${USAGE}`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
