import { create } from 'zustand';
import type { RackbootClient } from '../../../shared/api';
import type { BootMode } from '../../../shared/deploy';
import { sha256HexSchema } from '../../../shared/uploads';
import { errorText } from '../api/client';
import { uploadFile, type UploadProgress } from '../api/upload';

interface ImageAddingState {
  bootMode: BootMode;
  /** The checksum the operator expects of the next image, as typed (optional). */
  expectedSha256: string;
  /** The file being uploaded (browser) or measured (both shells). */
  busy: { name: string; upload: UploadProgress | null; path: string | null } | null;
  error: string | null;
}

export const useImageAdding = create<ImageAddingState>()(() => ({ bootMode: 'bios', expectedSha256: '', busy: null, error: null }));

/** In the desktop app the page has the preload's bridge, and with it the open dialog and dropped files' paths. */
export function isDesktop(): boolean {
  return window.rackboot !== undefined;
}

/** The checksum field read as the core wants it: undefined when empty, an error when it is not 64 hex digits. */
function expectedChecksum(): string | undefined {
  const typed = useImageAdding.getState().expectedSha256.trim();
  if (typed === '') return undefined;
  const parsed = sha256HexSchema.safeParse(typed);
  if (!parsed.success) throw new Error('The expected SHA-256 is 64 hexadecimal digits (as in a SHA256SUMS file); correct it or leave it empty.');
  return parsed.data;
}

async function run(name: string, work: () => Promise<void>): Promise<void> {
  if (useImageAdding.getState().busy) {
    useImageAdding.setState({ error: `Wait for ${useImageAdding.getState().busy!.name} to finish before adding another image.` });
    return;
  }
  useImageAdding.setState({ busy: { name, upload: null, path: null }, error: null });
  try {
    await work();
    useImageAdding.setState({ expectedSha256: '' });
  } catch (error) {
    useImageAdding.setState({ error: errorText(error) });
  } finally {
    useImageAdding.setState({ busy: null });
  }
}

async function addByPath(client: RackbootClient, path: string): Promise<void> {
  const { bootMode } = useImageAdding.getState();
  useImageAdding.setState((state) => ({ busy: state.busy && { ...state.busy, path } }));
  await client.call('images.add', { path, bootMode });
}

/** A file dropped on the window or chosen in the file input: by its path in the desktop app, uploaded in the browser. */
export function addImageFile(client: RackbootClient, file: File): Promise<void> {
  return run(file.name, async () => {
    const bridge = window.rackboot;
    if (bridge) {
      await addByPath(client, bridge.pathForFile(file));
      return;
    }
    const sha256 = expectedChecksum();
    const uploaded = await uploadFile(file, sha256, (upload) =>
      useImageAdding.setState((state) => ({ busy: state.busy && { ...state.busy, upload } })),
    );
    useImageAdding.setState((state) => ({ busy: state.busy && { ...state.busy, path: uploaded.path } }));
    await client.call('images.addUpload', { uploadId: uploaded.id, bootMode: useImageAdding.getState().bootMode });
  });
}

/** The desktop app's open dialog, then the image added from where it is (no copy). */
export function pickImage(client: RackbootClient): Promise<void> {
  return run('the image', async () => {
    const { path } = await client.call('files.pick', { purpose: 'image' });
    if (path) await addByPath(client, path);
  });
}
