import { execFile } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fakeSystemNoticeSchema, planNotice, type ChassisBootDevice, type PowerStep } from './notifier-plan';

/**
 * The lab's Redfish BMC behind sushy-tools: its external notifier PUTs every change of the emulated system here, and
 * this hook drives the server's QEMU through the same chassis-control.sh ipmi_sim runs for IPMI servers — boot device
 * Pxe → network boot (iPXE), Hdd → disk only; a reset applied at the time the emulator applies it.
 *
 * Run inside the rack namespace (QEMU must land beside its tap):
 *   notifier-hook.ts PORT SERVER_DIR CHASSIS_CONTROL_SCRIPT — listens on 127.0.0.1:PORT, prints "ready".
 */

const run = promisify(execFile);
const [portArg, serverDir, chassisControl] = process.argv.slice(2);
if (!portArg || !serverDir || !chassisControl) {
  console.error('usage: notifier-hook.ts PORT SERVER_DIR CHASSIS_CONTROL_SCRIPT');
  process.exit(2);
}

const event = (text: string): void => appendFileSync(join(serverDir, 'events.log'), `${new Date().toISOString().slice(11, 23)} redfish: ${text}\n`);

// One chassis-control run at a time, in the order the reports came: a power-on must see the boot device set before it.
let queue: Promise<unknown> = Promise.resolve();
const chassis = (...args: string[]): Promise<unknown> => {
  queue = queue.then(() => run('/bin/sh', [chassisControl, serverDir, 'set', ...args])).catch((error: unknown) => event(`chassis control ${args.join(' ')} failed: ${String(error)}`));
  return queue;
};

let bootDevice: ChassisBootDevice = 'default';
let pendingTimer: NodeJS.Timeout | undefined;

function applyPower(steps: PowerStep[]): void {
  for (const step of steps) {
    // chassis-control.sh sets the boot device back to disk after a power-on (IPMI's "next boot only"); the emulator
    // keeps its override (it reports Continuous), so the hook sets it again before every power-on.
    if (step === 'on') void chassis('boot', bootDevice);
    void chassis('power', step === 'on' ? '1' : '0');
  }
}

const server = createServer((request, response) => {
  let body = '';
  request.on('data', (chunk: Buffer) => (body += chunk.toString()));
  request.on('end', () => {
    try {
      const notice = fakeSystemNoticeSchema.parse(JSON.parse(body));
      const plan = planNotice(notice);
      if (plan.bootDevice !== bootDevice) event(`boot device ${notice.boot_device ?? 'Hdd'}`);
      bootDevice = plan.bootDevice;
      void chassis('boot', bootDevice);
      if (plan.power) {
        const { atMs, steps } = plan.power;
        event(`power ${notice.pending_power?.power_state} in ${Math.max(0, atMs - Date.now())} ms`);
        clearTimeout(pendingTimer);
        pendingTimer = setTimeout(() => applyPower(steps), Math.max(0, atMs - Date.now()));
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    } catch (error) {
      event(`refused a report: ${(error as Error).message}`);
      response.writeHead(400, { 'content-type': 'text/plain' }).end((error as Error).message);
    }
  });
});
server.listen(Number(portArg), '127.0.0.1', () => console.log('ready'));
