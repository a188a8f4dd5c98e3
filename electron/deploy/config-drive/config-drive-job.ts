import { createHash, randomBytes } from 'node:crypto';
import type { InstanceSettings } from '../../../shared/instance';
import type { AgentDisk, ConfigDrivePlan } from '../agent-api';
import { buildConfigDrive } from './openstack';
import { ConfigDriveRefusal, IMAGE_HEAD_BYTES, planConfigDrive, readImageTable, SECTOR_BYTES, type ImageTable } from './partition-table';

export interface ConfigDriveSubject {
  nodeId: string;
  name: string;
  mac: string;
  instance: InstanceSettings;
  /** Bytes of the image as it lands on the disk. */
  imageSize: number;
  /** The image's first IMAGE_HEAD_BYTES (or all of it when smaller), as it lands on the disk. */
  readHead(bytes: number): Promise<Uint8Array>;
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/**
 * One deploy's config drive: the file system is built and the image's partition table read when the deploy starts
 * (a refusal then stops it before the server is even powered on); the regions are planned when the agent reports the
 * disk's size; the agent's read-back sums are checked against them.
 */
export class ConfigDriveJob {
  private expected: { lba: number; sha256: string }[] | null = null;
  written = false;

  private constructor(
    private readonly table: ImageTable,
    private readonly drive: Uint8Array,
  ) {}

  /** Throws a ConfigDriveRefusal the technician can act on. */
  static async prepare(subject: ConfigDriveSubject): Promise<ConfigDriveJob> {
    const head = await subject.readHead(IMAGE_HEAD_BYTES);
    const table = readImageTable(head, subject.imageSize);
    const drive = buildConfigDrive({ uuid: subject.nodeId, name: subject.name, mac: subject.mac, instance: subject.instance }, new Date());
    return new ConfigDriveJob(table, drive);
  }

  get tableKind(): 'gpt' | 'mbr' {
    return this.table.kind;
  }

  plan(disk: AgentDisk): ConfigDrivePlan {
    if (disk.sectorSize !== SECTOR_BYTES) {
      return { kind: 'refused', reason: `the target disk has ${disk.sectorSize}-byte logical sectors; Rackboot writes config drives to 512-byte-sector disks only: clear the node's instance settings to deploy without one` };
    }
    try {
      const layout = planConfigDrive(this.table, this.drive, disk.sectors, randomBytes(16));
      this.expected = layout.regions.map((region) => ({ lba: region.lba, sha256: sha256(region.data) }));
      const mib = Math.round((layout.sectors * SECTOR_BYTES) / (1024 * 1024));
      return {
        kind: 'regions',
        summary: `partition ${layout.partitionNumber} (${this.table.kind.toUpperCase()}, ${mib} MiB at sector ${layout.startLba}, label config-2)`,
        regions: layout.regions.map((region) => ({ lba: region.lba, data: region.data })),
      };
    } catch (error) {
      if (error instanceof ConfigDriveRefusal) return { kind: 'refused', reason: error.message };
      throw error;
    }
  }

  /** What is wrong with what the agent read back, or null when every region holds what was planned. */
  check(regions: { lba: number; sha256: string }[]): string | null {
    if (!this.expected) return 'the agent reported a config drive it was never given';
    const missing = this.expected.filter((want) => !regions.some((got) => got.lba === want.lba && got.sha256 === want.sha256));
    if (missing.length > 0) return `the config drive sectors at ${missing.map((region) => region.lba).join(', ')} do not read back as written: the disk may be failing`;
    this.written = true;
    return null;
  }
}
