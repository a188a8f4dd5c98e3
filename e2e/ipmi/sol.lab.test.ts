import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ipmiTargetSchema } from '../../shared/ipmi';
import { IpmiClient } from '../../electron/ipmi/client';
import { IpmiCommandError } from '../../electron/ipmi/errors';
import { SolConsole } from '../../electron/ipmi/sol';
import { missingTools, randomPortBase, startIpmiSim, type SimInstance } from './ipmi-sim';

const skipReason = missingTools();
if (skipReason) console.log(`Skipping SOL lab tests: ${skipReason}`);

const PORT_BASE = randomPortBase();
let sim: SimInstance;
let serialServer: Server;
let serialLine: Promise<Socket>;

function client(): IpmiClient {
  return new IpmiClient(ipmiTargetSchema.parse({ address: '127.0.0.1', port: sim.port, user: 'root', password: 'password', cipherSuite: 3 }), {
    initialTimeoutMs: 200,
  });
}

function until(read: () => string, expected: string, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      if (read().includes(expected)) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error(`did not see ${JSON.stringify(expected)} within ${timeoutMs} ms; got ${JSON.stringify(read())}`));
      setTimeout(poll, 20);
    };
    poll();
  });
}

describe.skipIf(skipReason !== null)('Serial-over-LAN console against ipmi_sim', () => {
  beforeAll(async () => {
    // The test plays the server's serial port: ipmi_sim connects to this TCP port and relays it over SOL.
    serialServer = createServer();
    serialLine = new Promise((resolve) => serialServer.once('connection', resolve));
    await new Promise<void>((resolve) => serialServer.listen(PORT_BASE + 1, '127.0.0.1', resolve));
    sim = await startIpmiSim({ port: PORT_BASE, solPort: PORT_BASE + 1 });
  });

  afterAll(async () => {
    await sim?.stop();
    (await Promise.race([serialLine, Promise.resolve(null)]))?.destroy();
    await new Promise((resolve) => serialServer?.close(resolve));
  });

  it('carries bytes both ways and closes cleanly', async () => {
    const line = await serialLine;
    const bmc = client();
    const sol = await SolConsole.open(bmc.session, { retransmitMs: 200 });
    let seen = '';
    sol.on('data', (chunk: Buffer) => (seen += chunk.toString('latin1')));
    let typed = '';
    line.on('data', (chunk) => (typed += chunk.toString('latin1')));

    line.write('rackboot login: ');
    await until(() => seen, 'rackboot login: ');
    await new Promise<void>((resolve, reject) => sol.write('root\r', (error) => (error ? reject(error) : resolve())));
    await until(() => typed, 'root\r');

    const boot = Buffer.from(Array.from({ length: 600 }, (_, index) => 0x20 + (index % 90)));
    line.write(boot);
    await until(() => seen, boot.toString('latin1'));

    await sol.deactivate();
    await bmc.close();
  });

  it('refuses a second console while one is open, saying where it is open', async () => {
    const first = client();
    const second = client();
    const sol = await SolConsole.open(first.session);
    try {
      const error = await SolConsole.open(second.session).then(
        () => null,
        (failure: unknown) => failure,
      );
      expect(error).toBeInstanceOf(IpmiCommandError);
      expect((error as Error).message).toContain('already open in another session');
    } finally {
      await sol.deactivate();
      await first.close();
      await second.close();
    }
  });
});
