import { readFile, stat } from 'node:fs/promises';

/** Reading a simulated server's serial console log (QEMU's chardev logfile; the same bytes go to SOL). */

export interface SerialSource {
  name: string;
  serialLogPath: string;
  eventsLogPath: string;
}

export interface WaitForSerialOptions {
  timeoutMs?: number;
  /** Byte offset to search from, e.g. serialLogSize() taken before a power-on. */
  from?: number;
}

/** Terminal escapes (iPXE colours, OVMF cursor moves) and carriage returns removed, so patterns match plain text. */
export function plainText(raw: string): string {
  // eslint-disable-next-line no-control-regex
  return raw.replace(/\x1b\[[0-9;=?]*[A-Za-z]/g, '').replace(/[\r\x08]/g, '');
}

export async function serialLogSize(server: SerialSource): Promise<number> {
  return (await stat(server.serialLogPath).catch(() => ({ size: 0 }))).size;
}

export async function readSerial(server: SerialSource, from = 0): Promise<string> {
  const bytes = await readFile(server.serialLogPath).catch(() => Buffer.alloc(0));
  return plainText(bytes.subarray(from).toString('latin1'));
}

/** The last lines of the serial log and of the chassis events, for failure messages. */
export async function serverDiagnostics(server: SerialSource, lines = 25): Promise<string> {
  const tail = (text: string): string => text.trimEnd().split('\n').slice(-lines).join('\n');
  const events = await readFile(server.eventsLogPath, 'utf8').catch(() => '');
  return [
    `--- ${server.name} serial console (last ${lines} lines) ---`,
    tail(await readSerial(server)) || '(empty)',
    `--- ${server.name} chassis events ---`,
    tail(events) || '(none)',
  ].join('\n');
}

/** Waits until the serial output (from `from` on) matches; on timeout the error carries the log tail. */
export async function waitForSerial(
  server: SerialSource,
  pattern: RegExp,
  { timeoutMs = 30_000, from = 0 }: WaitForSerialOptions = {},
): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(await readSerial(server, from));
    if (match) return match;
    if (Date.now() > deadline) {
      throw new Error(
        `${server.name} printed nothing matching ${pattern} within ${timeoutMs} ms.\n${await serverDiagnostics(server)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
