import { readFile, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import path from 'node:path';
import type { Image } from '../../../shared/deploy';
import type { RamdiskSetting } from '../../../shared/deploy';
import type { HttpBootServer } from '../../pxe/http/server';
import type { ImageLibrary } from '../../deploy/image-library';
import type { Extent } from '../../deploy/images/extent-map';
import { openImageSource } from '../../deploy/images/image-source';
import { UserFacingError } from '../../lib/user-facing-error';
import type { RamdiskSource } from '../../deploy/ports';
import { loadAgentTools, type AgentTools } from '../../deploy/agent-tools';
import { findBuiltinRamdisk } from '../../deploy/builtin-ramdisk';
import { appendAgent, buildFullRamdisk, cachedRamdisk, openKernelTree } from '../../deploy/ramdisk';
import { NIC_DRIVERS_PATH } from './drivers-http';

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
    private readonly http: Pick<HttpBootServer, 'serveFile' | 'serveGenerated'>,
    private readonly setting: RamdiskSetting,
    private readonly cacheDir: string,
    private readonly images: Pick<ImageLibrary, 'extents' | 'extentMapPath'>,
  ) {}

  async paths(): Promise<{ kernelUrlPath: string; initrdUrlPath: string; nicDriversUrlPath: string | null }> {
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
    // The built-in ramdisk boots without drivers: iPXE fetches the boot NIC's, the agent the rest (drivers-http.ts).
    return { kernelUrlPath, initrdUrlPath, nicDriversUrlPath: this.setting.kind === 'builtin' ? NIC_DRIVERS_PATH : null };
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

  async imageUrlPaths(image: Image): Promise<{ dataUrlPath: string; mapUrlPath: string }> {
    const info = await stat(image.path).catch(() => null);
    if (!info || info.size !== image.size || info.mtimeMs !== image.mtimeMs) {
      throw new UserFacingError('image-changed', `${image.path} changed or went away since it was added to the library; add it again (Image step) so it is checked and measured anew.`);
    }
    const extents = await this.images.extents(image);
    const dataUrlPath = `/images/${image.id}/data`;
    const mapUrlPath = `/images/${image.id}/extents`;
    this.http.serveFile(mapUrlPath, this.images.extentMapPath(image.id));
    this.http.serveGenerated(dataUrlPath, {
      path: `${image.id}.data`,
      size: image.dataSize,
      mtimeMs: image.mtimeMs,
      open: (start, end) => Readable.from(limitBytes(imageData(image.path, extents, start), end - start + 1)),
    });
    return { dataUrlPath, mapUrlPath };
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

/** The data extents of an image from data byte `from` on, decoded from its file as they are sent. */
async function* imageData(file: string, extents: Extent[], from: number): AsyncIterable<Buffer> {
  const source = await openImageSource(file);
  yield* source.data(extents, from);
}

async function* limitBytes(chunks: AsyncIterable<Buffer>, limit: number): AsyncIterable<Buffer> {
  let left = limit;
  for await (const chunk of chunks) {
    if (left <= 0) return;
    yield chunk.length > left ? chunk.subarray(0, left) : chunk;
    left -= chunk.length;
  }
}
