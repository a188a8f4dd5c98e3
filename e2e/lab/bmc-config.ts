import type { HardwareArgs } from './server-hardware';
import { uuidToSmbiosBytes, IPMI_PORT, type Firmware, type NicRom, type ServerPlan } from './rack-plan';

/** Text of the files one simulated server needs: ipmi_sim's lan.conf and command file, chassis-control's env. Pure. */

export interface ServerFiles {
  dir: string;
  /** The disk the server boots from (its only one, unless `hardware` gives it more). */
  diskPath: string;
  serialLogPath: string;
  /** Disks and DMI fields beyond the default server's one virtio disk (server-hardware.ts). */
  hardware?: HardwareArgs;
}

export interface ServerSettings {
  firmware: Firmware;
  nicRom: NicRom;
  memoryMiB: number;
  /** Keep the boot device across power-ons (some BMCs treat every override as persistent). */
  persistentBootDevice: boolean;
  ovmfPath: string;
  chassisControlPath: string;
}

/** ipmi_sim splits its config on whitespace and QEMU splits options on commas: keep paths plain. */
export function assertPlainPath(path: string): string {
  if (!/^\/[A-Za-z0-9._\-/]+$/.test(path)) {
    throw new Error(`Lab paths must be absolute and use only letters, digits, "._-/": ${path}`);
  }
  return path;
}

export function lanConf(server: ServerPlan, files: ServerFiles, settings: ServerSettings): string {
  const auths = 'none md2 md5 straight';
  return [
    `# ipmi_sim configuration of the lab's ${server.name}`,
    `name "${server.name}"`,
    'set_working_mc 0x20',
    '  startlan 1',
    `    addr ${server.bmcAddress} ${IPMI_PORT}`,
    '    priv_limit admin',
    `    allowed_auths_callback ${auths}`,
    `    allowed_auths_user ${auths}`,
    `    allowed_auths_operator ${auths}`,
    `    allowed_auths_admin ${auths}`,
    // Real BMCs report the System GUID in the byte order the SMBIOS UUID uses, so PXE option 97 and `mc guid` agree.
    `    guid ${uuidToSmbiosBytes(server.uuid).toString('hex')}`,
    '  endlan',
    `  chassis_control "/bin/sh ${assertPlainPath(settings.chassisControlPath)} ${assertPlainPath(files.dir)}"`,
    `  sol "tcp:127.0.0.1:${server.solPort}" 115200`,
    `  user 2 true "${server.bmcUser}" "${server.bmcPassword}" admin 10 ${auths}`,
    '',
  ].join('\n');
}

/** The MC that answers on the LAN; without an MC ipmi_sim has nothing to serve. */
export function simEmu(): string {
  return [
    'mc_setbmc 0x20',
    'mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr',
    'mc_enable 0x20',
    '',
  ].join('\n');
}

/** Variables chassis-control.sh sources to build the QEMU command line. */
export function serverEnv(server: ServerPlan, files: ServerFiles, settings: ServerSettings): string {
  const vars: Record<string, string> = {
    SERVER_NAME: server.name,
    MAC: server.mac,
    UUID: server.uuid,
    TAP: server.tap,
    DISK: assertPlainPath(files.diskPath),
    SERIAL_LOG: assertPlainPath(files.serialLogPath),
    SERIAL_PORT: String(server.serialPort),
    FIRMWARE: settings.firmware,
    NIC_ROM: settings.nicRom,
    OVMF: assertPlainPath(settings.ovmfPath),
    MEMORY_MIB: String(settings.memoryMiB),
    PERSISTENT_BOOT_DEVICE: settings.persistentBootDevice ? 'yes' : 'no',
  };
  if (files.hardware) {
    vars.BOOT_DRIVE = files.hardware.bootDrive;
    vars.BOOT_DEVICE = files.hardware.bootDevice;
    vars.OTHER_ARGS = files.hardware.otherArgs.join(' ');
  }
  return Object.entries(vars)
    .map(([key, value]) => `${key}='${value}'`)
    .join('\n')
    .concat('\n');
}
