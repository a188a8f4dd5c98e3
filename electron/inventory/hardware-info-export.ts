import type { ExportDelivery, ExportResult } from '../../shared/nodes';
import { writeFileAtomic } from '../lib/atomic-file';
import type { InventoryStore } from './inventory-store';
import { formatNodeLine, NODE_LINES_FILE_NAME } from './node-lines';
import type { NodeStore } from './node-store';
import { TimeSlicer } from './time-slicer';

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
  const delivery = await deliver(destination, HARDWARE_INFO_FILE_NAME, file.text);
  return { delivery, exported: file.exported, passwordsIncluded: includePasswords, skipped: file.skipped };
}

/**
 * Writes every server as Rackboot's own export (JSON Lines: settings, disk choice and latest inventory), where the
 * destination says; passwords only when the operator asked. Every server fits this format, so none is skipped.
 */
export async function exportNodeLines(
  store: NodeStore,
  inventories: InventoryStore,
  destination: ExportDestination,
  includePasswords: boolean,
): Promise<ExportResult> {
  const slicer = new TimeSlicer();
  const lines: string[] = [];
  for (const node of store.exportableNodes(includePasswords)) {
    await slicer.pace();
    lines.push(formatNodeLine(node, await inventories.latest(node.id)));
  }
  const delivery = await deliver(destination, NODE_LINES_FILE_NAME, lines.join(''));
  return { delivery, exported: lines.length, passwordsIncluded: includePasswords, skipped: [] };
}

async function deliver(destination: ExportDestination, name: string, text: string): Promise<ExportDelivery> {
  if (destination.kind === 'download') return { kind: 'download', url: destination.offer({ name, text }) };
  const target = await destination.choosePath(name);
  if (target === null) return { kind: 'cancelled' };
  // Only the operator may read it: with passwords it holds every BMC's, and even without, the whole rack's map.
  await writeFileAtomic(target, text, 0o600);
  return { kind: 'saved', path: target };
}
