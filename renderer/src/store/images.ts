import { create } from 'zustand';
import type { RackbootClient } from '../../../shared/api';
import type { Image } from '../../../shared/deploy';

interface ImagesState {
  images: Image[];
  /** The first list has answered (or failed): until then an empty list says nothing. */
  loaded: boolean;
  /** Checksum progress of images being added, by path. */
  adding: Record<string, { read: number; total: number }>;
}

export const useImages = create<ImagesState>()(() => ({ images: [], loaded: false, adding: {} }));

export function followImages(client: RackbootClient): () => void {
  const stops = [
    client.on('images.changed', (images) => useImages.setState({ images, loaded: true })),
    client.on('images.progress', ({ path, read, total }) =>
      useImages.setState((state) => ({ adding: { ...state.adding, [path]: { read, total } } })),
    ),
  ];
  // A list lost with the connection must not keep the window waiting for it: the library shows empty until images.changed.
  client.call('images.list', {}).then(
    (images) => useImages.setState({ images, loaded: true }),
    () => useImages.setState({ loaded: true }),
  );
  return () => stops.forEach((stop) => stop());
}
