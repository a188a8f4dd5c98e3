import { describe, expect, it } from 'vitest';
import { ipmiTargetSchema } from '../../shared/ipmi';
import { IpmiClient } from './client';
import { decodeSolPacket, encodeSolPacket, type SolPacket } from './codec/sol-packet';
import { SolConsole } from './sol';
import { FakeBmc, type FakeBmcRequest } from './testing/fake-bmc';

/** SOL activation answer: aux data, inbound and outbound payload size 16, port 623, no VLAN. */
const ACTIVATED = Buffer.from('00000000100010006f02ffff', 'hex');

function solBmc(onSol: (packet: SolPacket, reply: (packet: SolPacket) => void) => void) {
  const bmc = new FakeBmc({
    users: { ADMIN: { password: 'pw', maxPrivilege: 4 } },
    handle: (request: FakeBmcRequest) => (request.command === 0x48 ? { completionCode: 0, data: ACTIVATED } : { completionCode: 0 }),
    onSol: (payload, reply) => {
      const packet = decodeSolPacket(payload);
      if (packet.ok) onSol(packet.value, (answer) => reply(encodeSolPacket(answer)));
    },
  });
  const client = new IpmiClient(ipmiTargetSchema.parse({ address: '192.0.2.20', user: 'ADMIN', password: 'pw' }), {
    initialTimeoutMs: 30,
    openChannel: async () => bmc.channel(),
  });
  return client;
}

const ack = (packet: SolPacket, accepted: number): SolPacket => ({ sequence: 0, ackSequence: packet.sequence, acceptedCount: accepted, control: 0, data: Buffer.alloc(0) });

function write(sol: SolConsole, text: string): Promise<void> {
  return new Promise((resolve, reject) => sol.write(text, (error) => (error ? reject(error) : resolve())));
}

describe('SOL console', () => {
  it('resends a packet the BMC did not acknowledge', async () => {
    const seen: string[] = [];
    const client = solBmc((packet, reply) => {
      if (packet.sequence === 0) return;
      seen.push(packet.data.toString());
      if (seen.length > 1) reply(ack(packet, packet.data.length));
    });
    const sol = await SolConsole.open(client.session, { retransmitMs: 20 });
    await write(sol, 'ls\r');
    expect(seen).toEqual(['ls\r', 'ls\r']);
    await sol.deactivate();
  });

  it('splits writes to the BMC payload size and sends what the BMC did not accept again', async () => {
    const received: string[] = [];
    const client = solBmc((packet, reply) => {
      if (packet.sequence === 0) return;
      const accepted = Math.min(packet.data.length, 5);
      received.push(packet.data.subarray(0, accepted).toString());
      reply(ack(packet, accepted));
    });
    const sol = await SolConsole.open(client.session, { retransmitMs: 20 });
    await write(sol, 'abcdefghijklmnopqrstuvwxyz');
    expect(received.join('')).toBe('abcdefghijklmnopqrstuvwxyz');
    expect(received.length).toBeGreaterThanOrEqual(6);
    await sol.deactivate();
  });

  it('acknowledges console output and delivers a retransmitted packet once', async () => {
    const acks: SolPacket[] = [];
    let send: ((packet: SolPacket) => void) | null = null;
    const client = solBmc((packet, reply) => {
      send = reply;
      if (packet.sequence === 0) acks.push(packet);
      else reply(ack(packet, packet.data.length));
    });
    const sol = await SolConsole.open(client.session, { retransmitMs: 20 });
    let output = '';
    sol.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await write(sol, 'x');
    const bootLine: SolPacket = { sequence: 3, ackSequence: 0, acceptedCount: 0, control: 0, data: Buffer.from('Booting from PXE\r\n') };
    send!(bootLine);
    send!(bootLine);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(output).toBe('Booting from PXE\r\n');
    expect(acks.filter((packet) => packet.ackSequence === 3)).toHaveLength(2);
    expect(acks[0]?.acceptedCount).toBe(18);
    await sol.deactivate();
  });
});
