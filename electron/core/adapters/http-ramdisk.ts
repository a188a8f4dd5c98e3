import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Image } from '../../../shared/deploy';
import type { RamdiskSetting } from '../../../shared/deploy';
import type { HttpBootServer } from '../../pxe/http/server';
import type { RamdiskSource } from '../../deploy/ports';
import { loadAgentTools, type AgentTools } from '../../deploy/agent-tools';
import { findBuiltinRamdisk } from '../../deploy/builtin-ramdisk';
import { appendAgent, buildFullRamdisk, cachedRamdisk, openKernelTree } from '../../deploy/ramdisk';
import { UserFacingError } from '../../lib/user-facing-error';

/** What one ramdisk setting is made from: the kernel to serve, and the inputs whose identity keys the built initrd. */
interface RamdiskInputs {
  kernel: string;
  key: string[];
  build: (tools: AgentTools) => Promise<Buffer>;
}

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
    const inputs = await this.inputs();
    const tools = await loadAgentTools();
    const key = [this.setting.kind, tools.digest, ...inputs.key];
    const id = key.join('\0');
    let build = this.builds.get(id);
    if (!build) {
      build = cachedRamdisk(this.cacheDir, key, () => inputs.build(tools)).catch((error: unknown) => {
        this.builds.delete(id);
        throw error;
      });
      this.builds.set(id, build);
    }
    const initrd = await build;
    const kernelUrlPath = '/deploy/vmlinuz';
    const initrdUrlPath = `/deploy/${path.basename(initrd)}`;
    this.http.serveFile(kernelUrlPath, inputs.kernel);
    this.http.serveFile(initrdUrlPath, initrd);
    return { kernelUrlPath, initrdUrlPath };
  }

  private async inputs(): Promise<RamdiskInputs> {
    const setting = this.setting;
    switch (setting.kind) {
      case 'builtin': {
        const builtin = await findBuiltinRamdisk();
        if (!('dir' in builtin)) throw new UserFacingError('ramdisk-builtin-missing', builtin.reason);
        return {
          kernel: builtin.kernel,
          // The manifest's key names the build; the files' identity catches one replaced in place.
          key: [builtin.status.manifest.key, ...(await Promise.all([builtin.kernel, builtin.initrd].map(identity)))],
          build: async (tools) => appendAgent(await readFile(builtin.initrd), tools),
        };
      }
      case 'append':
        // A kernel package or initrd replaced under the same name is a new input: it must not get the old ramdisk.
        return {
          kernel: setting.kernel,
          key: await Promise.all([setting.kernel, setting.initrd].map(identity)),
          build: async (tools) => appendAgent(await readFile(setting.initrd), tools),
        };
      case 'build':
        return {
          kernel: setting.kernel,
          key: await Promise.all([setting.kernel, setting.modules, setting.busybox].map(identity)),
          build: async (tools) =>
            buildFullRamdisk({ kernel: await openKernelTree(setting.modules, this.cacheDir), busybox: setting.busybox, tools }),
        };
    }
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
