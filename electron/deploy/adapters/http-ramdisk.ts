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

  async paths(): Promise<{ kernelUrlPath: string; initrdUrlPath: string }> {
    const setting = this.setting;
    const initrd =
      setting.kind === 'append'
        ? await cachedRamdisk(this.cacheDir, ['append', setting.kernel, setting.initrd], async () => appendAgent(await readFile(setting.initrd)))
        : await cachedRamdisk(this.cacheDir, ['build', setting.kernel, setting.modules, setting.busybox], async () =>
            buildFullRamdisk({ kernel: await openKernelTree(setting.modules, this.cacheDir), busybox: setting.busybox }),
          );
    const kernelUrlPath = '/deploy/vmlinuz';
    const initrdUrlPath = `/deploy/${path.basename(initrd)}`;
    this.http.serveFile(kernelUrlPath, setting.kernel);
    this.http.serveFile(initrdUrlPath, initrd);
    return { kernelUrlPath, initrdUrlPath };
  }

  imageUrlPath(image: Image): string {
    const urlPath = `/images/${image.id}`;
    this.http.serveFile(urlPath, image.path);
    return urlPath;
  }
}
