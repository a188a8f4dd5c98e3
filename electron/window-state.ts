import { z } from 'zod';
import { readJsonFile, removeStaleTemporaries, writeFileAtomic } from './lib/atomic-file';

const windowStateSchema = z.object({
  x: z.number().int().optional(),
  y: z.number().int().optional(),
  width: z.number().int().min(640),
  height: z.number().int().min(480),
  maximized: z.boolean(),
});
export type WindowState = z.infer<typeof windowStateSchema>;

export const DEFAULT_WINDOW_STATE: WindowState = { width: 1280, height: 860, maximized: false };

/** The last window geometry; a missing or damaged file gives the default size. */
export async function loadWindowState(file: string): Promise<WindowState> {
  await removeStaleTemporaries(file).catch(() => []);
  const parsed = windowStateSchema.safeParse(await readJsonFile(file).catch(() => undefined));
  return parsed.success ? parsed.data : DEFAULT_WINDOW_STATE;
}

export function saveWindowState(file: string, state: WindowState): Promise<void> {
  return writeFileAtomic(file, JSON.stringify(state));
}
