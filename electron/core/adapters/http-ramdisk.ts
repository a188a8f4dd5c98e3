import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Image } from '../../../shared/deploy';
import type { RamdiskSetting } from '../../../shared/deploy';
import type { HttpBootServer } from '../../pxe/http/server';
import type { RamdiskSource } from '../../deploy/ports';
import { loadAgentTools, type AgentTools } from '../../deploy/agent-tools';
import { appendAgent, buildFullRamdisk, cachedRamdisk, openKernelTree } from '../../deploy/ramdisk';

/**
 * The deploy kernel and the agent's initrd (built once per version of its inputs, cached) and the images, served by
 * the boot HTTP server.
 */
export class HttpRamdiskSource implements RamdiskSource {
  /** Builds by the identity of their inputs: deploys that ask while one runs share it (three nodes at once). */
  private readonly builds = new Map<string, Promise<string>>();

  constructor(
    private readonly http: Pick<HttpBootServer, 'serveFile'>,
    private readonly setting: RamdiskSetting,
    private readonly cacheDir: string,
  ) {}

  async paths(): Promise<{ kernelUrlPath: string; initrdUrlPath: string }> {
    const setting = this.setting;
    const inputs = setting.kind === 'append' ? [setting.kernel, setting.initrd] : [setting.kernel, setting.modules, setting.busybox];
    // A kernel package or initrd replaced under the same name is a new input: it must not get the old ramdisk.
    const tools = await loadAgentTools();
    const key = [setting.kind, tools.digest, ...(await Promise.all(inputs.map(identity)))];
    const id = key.join('\0');
    let build = this.builds.get(id);
    if (!build) {
      build = this.buildInitrd(key, tools).catch((error: unknown) => {
        this.builds.delete(id);
        throw error;
      });
      this.builds.set(id, build);
    }
    const initrd = await build;
    const kernelUrlPath = '/deploy/vmlinuz';
    const initrdUrlPath = `/deploy/${path.basename(initrd)}`;
    this.http.serveFile(kernelUrlPath, setting.kernel);
    this.http.serveFile(initrdUrlPath, initrd);
    return { kernelUrlPath, initrdUrlPath };
  }

  private buildInitrd(key: string[], tools: AgentTools): Promise<string> {
    const setting = this.setting;
    return cachedRamdisk(this.cacheDir, key, async () =>
      setting.kind === 'append'
        ? appendAgent(await readFile(setting.initrd), tools)
        : buildFullRamdisk({ kernel: await openKernelTree(setting.modules, this.cacheDir), busybox: setting.busybox, tools }),
    );
  }

  imageUrlPath(image: Image): string {
    const urlPath = `/images/${image.id}`;
    this.http.serveFile(urlPath, image.path);
    return urlPath;
  }
}

/**
 * A path with its size and modification time; for an unpacked kernel package also those of its lib/modules, which
 * change when another kernel is unpacked there. A path that cannot be read is left to the build to report.
 */
async function identity(file: string): Promise<string> {
  const info = await stat(file).catch(() => null);
  if (!info) return file;
  const own = `${file}:${info.size}:${info.mtimeMs}`;
  if (!info.isDirectory()) return own;
  const modules = await stat(path.join(file, 'lib/modules')).catch(() => null);
  return modules ? `${own}|${modules.mtimeMs}` : own;
}
