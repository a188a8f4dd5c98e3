import { createServer, type Server, type Socket } from 'node:net';

/**
 * Joins each server's serial port to its BMC's SOL across power cycles. ipmi_sim connects its `sol "tcp:…"` once
 * and, when that connection drops, retries only every 10 s — so pointing it straight at QEMU would lose the first
 * seconds of every boot. Here ipmi_sim stays connected to the relay for the lab's lifetime, and QEMU connects to the
 * relay (client chardev) each time it starts. Bytes go both ways; with one side absent they are dropped (QEMU's
 * logfile still records the console).
 *
 * Run inside the rack namespace: serial-relay.ts SOL_PORT:SERIAL_PORT… — prints "ready" once every port listens.
 */

function listenOn(port: number, onConnection: (socket: Socket) => void): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => {
      socket.setNoDelay(true);
      socket.on('error', () => socket.destroy());
      onConnection(socket);
    });
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

async function relay(solPort: number, serialPort: number): Promise<void> {
  const ends: { bmc?: Socket; machine?: Socket } = {};
  const attach = (side: 'bmc' | 'machine', other: 'bmc' | 'machine') => (socket: Socket) => {
    ends[side]?.destroy();
    ends[side] = socket;
    socket.on('data', (chunk) => ends[other]?.write(chunk));
    socket.on('close', () => {
      if (ends[side] === socket) delete ends[side];
    });
  };
  await listenOn(solPort, attach('bmc', 'machine'));
  await listenOn(serialPort, attach('machine', 'bmc'));
}

const pairs = process.argv.slice(2).map((arg) => {
  const [sol, serial] = arg.split(':').map(Number);
  if (!sol || !serial) throw new Error(`Expected SOL_PORT:SERIAL_PORT, got "${arg}".`);
  return { sol, serial };
});
await Promise.all(pairs.map(({ sol, serial }) => relay(sol, serial)));
console.log('ready');
