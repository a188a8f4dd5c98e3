import { create } from 'zustand';
import type { RackbootClient } from '../../../shared/api';
import type { Image } from '../../../shared/deploy';

interface ImagesState {
  images: Image[];
  /** Checksum progress of images being added, by path. */
  adding: Record<string, { read: number; total: number }>;
}

export const useImages = create<ImagesState>()(() => ({ images: [], adding: {} }));

export function followImages(client: RackbootClient): () => void {
  const stops = [
    client.on('images.changed', (images) => useImages.setState({ images })),
    client.on('images.progress', ({ path, read, total }) =>
      useImages.setState((state) => ({ adding: { ...state.adding, [path]: { read, total } } })),
    ),
  ];
  void client.call('images.list', {}).then((images) => useImages.setState({ images }));
  return () => stops.forEach((stop) => stop());
}
