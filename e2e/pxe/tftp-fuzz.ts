// Sends COUNT malformed TFTP datagrams to ADDR:PORT from inside a test namespace, then prints
// {"sent":N,"answerable":A,"answered":M}: A of them deserve an error reply (broken requests, unknown opcodes),
// M error replies came back. Paced by the replies (at most 200 outstanding), so the loop measures the server
// rather than the kernel dropping an unbounded burst. Usage: tftp-fuzz.ts ADDR PORT COUNT
import dgram from 'node:dgram';

const [address = '', portText = '69', countText = '100000'] = process.argv.slice(2);
const port = Number(portText);
const count = Number(countText);

let seed = 0x2545f491;
function random(n: number): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
}
function randomBytes(length: number): Buffer {
  return Buffer.from(Array.from({ length }, () => random(256)));
}
const u16 = (value: number): Buffer => Buffer.from([value >> 8, value & 0xff]);
const z = (text: string): Buffer => Buffer.from(`${text}\0`, 'latin1');

/** Each generator makes a datagram that is not a valid read request, so none may start a transfer. */
const generators: (() => Buffer)[] = [
  () => randomBytes(random(40)),
  () => Buffer.concat([u16(1), randomBytes(random(30))]),
  () => Buffer.concat([u16(1), Buffer.from('pxelinux.0', 'latin1')]),
  () => Buffer.concat([u16(1), z('pxelinux.0')]),
  () => Buffer.concat([u16(1), z('pxelinux.0'), z('mail')]),
  () => Buffer.concat([u16(1), z(''), z('octet')]),
  () => Buffer.concat([u16(1), z('pxelinux.0'), z('octet'), z('blksize')]),
  () => Buffer.concat([u16(1), z('a'.repeat(600)), z('octet')]),
  () => Buffer.concat([u16(1 + random(2)), z('x'), Buffer.from('octet', 'latin1')]),
  () => Buffer.concat([u16(7 + random(60000)), randomBytes(random(20))]),
  () => Buffer.concat([u16(3), u16(random(65536)), randomBytes(random(600))]),
  () => Buffer.concat([u16(4), u16(random(65536))]),
  () => Buffer.concat([u16(5), u16(random(9)), randomBytes(random(20))]),
  () => Buffer.concat([u16(6), z('blksize'), z('1468')]),
  () => Buffer.from([random(256)]),
];

const socket = dgram.createSocket('udp4');
let answered = 0;
socket.on('message', () => {
  answered += 1;
});
socket.bind(0, () => {
  void run();
});

/** What the server must answer: requests (opcodes 1, 2) and unknown opcodes; never DATA/ACK/ERROR/OACK or runts. */
function deservesReply(datagram: Buffer): boolean {
  if (datagram.length < 2) return false;
  const opcode = datagram.readUInt16BE(0);
  return opcode < 3 || opcode > 6;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function run(): Promise<void> {
  let answerable = 0;
  for (let sent = 0; sent < count; sent += 1) {
    const datagram = (generators[random(generators.length)] as () => Buffer)();
    if (deservesReply(datagram)) answerable += 1;
    socket.send(datagram, port, address);
    if (sent % 100 === 99) {
      const started = Date.now();
      while (answerable - answered > 200 && Date.now() - started < 50) await sleep(1);
      if (answerable - answered > 200) await sleep(0);
    }
  }
  await sleep(500);
  process.stdout.write(`${JSON.stringify({ sent: count, answerable, answered })}\n`);
  socket.close();
}
