import type { ExportDelivery, ExportResult } from '../../shared/nodes';
import { writeFileAtomic } from '../lib/atomic-file';
import type { NodeStore } from './node-store';

/** The name an exported file is offered under. */
export const HARDWARE_INFO_FILE_NAME = 'hardware_info';

/**
 * How the shell lets the operator put an exported file somewhere. The core makes the file and writes it itself; the
 * shell only asks where (a save dialog on the desktop) or hands it to the browser (a one-time download in headless
 * mode). Either way the file never travels through the API, so no password reaches a window that did not ask to
 * save one.
 */
export type ExportDestination =
  | { kind: 'save-dialog'; choosePath(suggestedName: string): Promise<string | null> }
  | { kind: 'download'; offer(file: { name: string; text: string }): string };

/** Writes the inventory as hardware_info where the destination says; passwords only when the operator asked. */
export async function exportHardwareInfo(
  store: NodeStore,
  destination: ExportDestination,
  includePasswords: boolean,
): Promise<ExportResult> {
  const file = store.hardwareInfoFile(includePasswords);
  let delivery: ExportDelivery;
  if (destination.kind === 'save-dialog') {
    const target = await destination.choosePath(HARDWARE_INFO_FILE_NAME);
    if (target === null) {
      delivery = { kind: 'cancelled' };
    } else {
      // Only the operator may read it: with passwords it holds every BMC's, and even without, the whole rack's map.
      await writeFileAtomic(target, file.text, 0o600);
      delivery = { kind: 'saved', path: target };
    }
  } else {
    delivery = { kind: 'download', url: destination.offer({ name: HARDWARE_INFO_FILE_NAME, text: file.text }) };
  }
  return { delivery, exported: file.exported, passwordsIncluded: includePasswords, skipped: file.skipped };
}
