import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Image } from '../../../shared/deploy';
import type { RamdiskSetting } from '../../../shared/deploy';
import type { HttpBootServer } from '../../pxe/http/server';
import type { RamdiskSource } from '../ports';
import { appendAgent, buildFullRamdisk, cachedRamdisk, openKernelTree } from '../ramdisk';

/** The deploy kernel and the agent's initrd (built once, cached) and the images, served by the boot HTTP server. */
export class HttpRamdiskSource implements RamdiskSource {
  constructor(
    private readonly http: HttpBootServer,
    private readonly setting: RamdiskSetting,
    private readonly cacheDir: string,
  ) {}

  /** One build for every deploy that asks while it runs (three nodes deployed at once share it). */
  private initrd: Promise<string> | null = null;

  async paths(): Promise<{ kernelUrlPath: string; initrdUrlPath: string }> {
    this.initrd ??= this.buildInitrd().catch((error: unknown) => {
      this.initrd = null;
      throw error;
    });
    const initrd = await this.initrd;
    const kernelUrlPath = '/deploy/vmlinuz';
    const initrdUrlPath = `/deploy/${path.basename(initrd)}`;
    this.http.serveFile(kernelUrlPath, this.setting.kernel);
    this.http.serveFile(initrdUrlPath, initrd);
    return { kernelUrlPath, initrdUrlPath };
  }

  private buildInitrd(): Promise<string> {
    const setting = this.setting;
    return setting.kind === 'append'
      ? cachedRamdisk(this.cacheDir, ['append', setting.kernel, setting.initrd], async () => appendAgent(await readFile(setting.initrd)))
      : cachedRamdisk(this.cacheDir, ['build', setting.kernel, setting.modules, setting.busybox], async () =>
          buildFullRamdisk({ kernel: await openKernelTree(setting.modules, this.cacheDir), busybox: setting.busybox }),
        );
  }

  imageUrlPath(image: Image): string {
    const urlPath = `/images/${image.id}`;
    this.http.serveFile(urlPath, image.path);
    return urlPath;
  }
}
