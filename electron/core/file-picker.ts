import type { FilePurpose } from '../../shared/setup';

/**
 * The desktop shell's open dialog, as the core asks for it: a file (or, for kernel modules, a folder) on this
 * machine, or null when the operator cancels. Headless mode has none: the browser uploads instead.
 */
export interface FilePicker {
  choose(purpose: FilePurpose): Promise<string | null>;
}
