// A PXE-like DHCP client for the lab, run inside the client namespace. It speaks like a PXE ROM (vendor class
// PXEClient, option 93/94/97) and can also send malformed packets (fuzz) or time DISCOVER→OFFER (bench).
// Usage: ip netns exec NS npx tsx e2e/pxe/dhcp-client.ts '<json>'   — prints one JSON line with the result.
import { randomInt } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { z } from 'zod';
import {
  BOOTREQUEST,
  buildDhcp,
  DhcpMessageType,
  type DhcpPacket,
  Option,
  parseDhcp,
  readIp,
  readSubOptions,
  readText,
  text,
  u16,
  u8,
} from '../../electron/pxe/dhcp/codec';
import { allCaptured } from '../../electron/pxe/dhcp/fixtures';
import { InterfaceSocket } from '../../electron/pxe/dhcp/interface-socket';

const Client = z.object({
  mac: z.string(),
  arch: z.number().default(0),
  uuid: z.string().default('89abcdef-0123-4567-89ab-cdef01234567'),
  vendorClass: z.string().default('PXEClient:Arch:00000:UNDI:002001'),
  userClass: z.string().nullable().default(null),
});

const Command = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('discover'), address: z.string(), waitMs: z.number().default(2000), client: Client }),
  z.object({ mode: z.literal('boot-request'), address: z.string(), server: z.string(), port: z.number().default(4011), client: Client }),
  z.object({ mode: z.literal('bench'), address: z.string(), count: z.number(), client: Client }),
  z.object({ mode: z.literal('fuzz'), address: z.string(), count: z.number(), seed: z.number().default(1), maxSeconds: z.number().default(90) }),
]);
type Command = z.infer<typeof Command>;
type ClientConfig = z.infer<typeof Client>;

const BROADCAST = { address: '255.255.255.255', port: 67 };

function pxeRequest(client: ClientConfig, type: number, xid: number, ciaddr = '0.0.0.0'): Uint8Array {
  const chaddr = new Uint8Array(16);
  chaddr.set(client.mac.split(':').map((part) => parseInt(part, 16)));
  const options: DhcpPacket['options'] = new Map([
    [Option.messageType, u8(type)],
    [Option.maxMessageSize, u16(1472)],
    [Option.clientArch, u16(client.arch)],
    [Option.clientNdi, Uint8Array.of(1, 2, 1)],
    [Option.vendorClass, text(client.vendorClass)],
    [Option.clientUuid, Uint8Array.from([0, ...Buffer.from(client.uuid.replace(/-/g, ''), 'hex')])],
    [Option.parameterList, Uint8Array.of(1, 3, 6, 43, 60, 66, 67, 97)],
  ]);
  if (client.userClass) options.set(Option.userClass, text(client.userClass));
  return buildDhcp({
    op: BOOTREQUEST, htype: 1, hlen: 6, hops: 0, xid, secs: 0, flags: 0x8000,
    ciaddr, yiaddr: '0.0.0.0', siaddr: '0.0.0.0', giaddr: '0.0.0.0', chaddr, sname: '', file: '', options,
  });
}

function summarise(bytes: Uint8Array, from: { address: string; port: number }) {
  const parsed = parseDhcp(bytes);
  if (!parsed.ok) return null;
  const reply = parsed.packet;
  return {
    from: from.address,
    xid: reply.xid,
    messageType: reply.options.get(Option.messageType)?.[0] ?? null,
    serverId: readIp(reply.options.get(Option.serverId)),
    yiaddr: reply.yiaddr,
    siaddr: reply.siaddr,
    file: reply.file,
    bootFileName: readText(reply.options.get(Option.bootFileName)),
    vendorClass: readText(reply.options.get(Option.vendorClass)),
    discoveryControl: readSubOptions(reply.options.get(Option.vendorSpecific))?.get(6)?.[0] ?? null,
  };
}

/** A client socket on the interface (in this namespace) that holds `address`. */
async function open(address: string, port = 68): Promise<InterfaceSocket> {
  const owner = Object.entries(networkInterfaces()).find(([, entries]) => entries?.some((entry) => entry.address === address));
  if (!owner) throw new Error(`no interface here has ${address}`);
  return InterfaceSocket.open({ interfaceName: owner[0], address, port, hearBroadcasts: true, service: 'the test client' });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function discover(command: Extract<Command, { mode: 'discover' }>) {
  const socket = await open(command.address);
  const xid = randomInt(1, 0xffffffff);
  const offers: NonNullable<ReturnType<typeof summarise>>[] = [];
  socket.onMessage((bytes, from) => {
    const reply = summarise(bytes, from);
    const isNew = !offers.some((offer) => offer.serverId === reply?.serverId);
    if (reply?.xid === xid && reply.messageType === DhcpMessageType.offer && isNew) offers.push(reply);
  });
  // Like a ROM: resend once if nothing came (dnsmasq stays silent on the first DISCOVER while it pings).
  for (let waited = 0; waited < command.waitMs; waited += 1000) {
    await socket.send(pxeRequest(command.client, DhcpMessageType.discover, xid), BROADCAST);
    await sleep(Math.min(1000, command.waitMs - waited));
  }
  await socket.close();
  return { type: 'offers', offers };
}

async function bootRequest(command: Extract<Command, { mode: 'boot-request' }>) {
  const socket = await open(command.address);
  const xid = randomInt(1, 0xffffffff);
  const ack = new Promise<ReturnType<typeof summarise>>((resolve) => {
    socket.onMessage((bytes, from) => {
      const reply = summarise(bytes, from);
      if (reply?.xid === xid) resolve(reply);
    });
  });
  const request = pxeRequest(command.client, DhcpMessageType.request, xid, command.address);
  await socket.send(request, { address: command.server, port: command.port });
  const reply = await Promise.race([ack, sleep(3000).then(() => null)]);
  await socket.close();
  return { type: 'boot-ack', reply };
}

async function bench(command: Extract<Command, { mode: 'bench' }>) {
  const socket = await open(command.address);
  const latencies: number[] = [];
  let pending: { xid: number; sent: bigint; done: () => void } | null = null;
  socket.onMessage((bytes) => {
    const parsed = parseDhcp(bytes);
    if (!pending || !parsed.ok || parsed.packet.xid !== pending.xid) return;
    if (parsed.packet.options.get(Option.messageType)?.[0] !== DhcpMessageType.offer) return;
    latencies.push(Number(process.hrtime.bigint() - pending.sent) / 1e6);
    pending.done();
  });
  for (let i = 0; i < command.count; i++) {
    const xid = randomInt(1, 0xffffffff);
    const answered = new Promise<void>((resolve) => {
      pending = { xid, sent: process.hrtime.bigint(), done: resolve };
    });
    await socket.send(pxeRequest(command.client, DhcpMessageType.discover, xid), BROADCAST);
    // A DISCOVER left unanswered (dnsmasq's first, while it pings) is sent again, as a ROM would.
    await Promise.race([answered, sleep(4000)]);
  }
  await socket.close();
  return { type: 'latencies', ms: latencies };
}

/** Deterministic mutations of real packets: bit flips, truncation, bogus lengths, overload, random junk. */
function* malformed(seed: number, count: number): Generator<Uint8Array> {
  let state = seed;
  const random = (n: number) => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state % n;
  };
  for (let i = 0; i < count; i++) {
    const base = allCaptured[random(allCaptured.length)]!;
    let bytes = Uint8Array.from(base);
    switch (i % 6) {
      case 0:
        for (let flips = 1 + random(8); flips > 0; flips--) {
          const at = random(bytes.length);
          bytes[at] = bytes[at]! ^ (1 << random(8));
        }
        break;
      case 1:
        bytes = bytes.subarray(0, random(bytes.length));
        break;
      case 2: // an option whose length runs past the end
        bytes.set([random(256), 255], 240 + random(20));
        break;
      case 3: // overload pointing at garbage in sname/file
        bytes.set([Option.overload, 1, 1 + random(3)], 240);
        for (let k = 44; k < 236; k++) bytes[k] = random(256);
        break;
      case 4:
        bytes = Uint8Array.from({ length: random(600) }, () => random(256));
        break;
      default: // plausible header, random option soup
        for (let k = 240; k < bytes.length; k++) bytes[k] = random(256);
        bytes[242] = DhcpMessageType.discover;
    }
    yield bytes;
  }
}

async function fuzz(command: Extract<Command, { mode: 'fuzz' }>) {
  const socket = await open(command.address, 6868);
  const deadline = Date.now() + command.maxSeconds * 1000;
  let sent = 0;
  for (const bytes of malformed(command.seed, command.count)) {
    if (Date.now() > deadline) break;
    await socket.send(bytes, BROADCAST);
    sent++;
    // Pace a little so the kernel does not drop most of them before the server reads them.
    if (sent % 200 === 0) await sleep(1);
  }
  await socket.close();
  return { type: 'fuzzed', sent };
}

async function main(): Promise<void> {
  const command = Command.parse(JSON.parse(process.argv[2] ?? '{}'));
  const handlers = { discover, 'boot-request': bootRequest, bench, fuzz } as const;
  const result = await (handlers[command.mode] as (command: Command) => Promise<object>)(command);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

main().catch((error: Error) => {
  process.stdout.write(`${JSON.stringify({ type: 'client-failed', message: error.message })}\n`);
  process.exit(1);
});
