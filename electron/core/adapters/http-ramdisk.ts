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
import { appendAgent, buildFullRamdisk, cachedRamdisk, openKernelTree } from '../../deploy/ramdisk';

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
