// Fuzzes headless mode's WebSocket API with 100,000 frames over raw TCP (malformed ones included) against a real
// headless server process, while another client keeps calling it. Unit suite: it needs only loopback and a child
// process, and runs in ~10–20 s on a loaded 2-core machine; the frame count is fixed, not the duration, so a
// slower machine takes longer rather than testing less (the test's own limit is 240 s).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { WsMessage } from '../../shared/api';
import { closeCode, encodeFrame, OPCODE, RawWebSocket } from './test-support/raw-ws';

const TOTAL_FRAMES = 100_000;
const LANES = 4;
const MAX_PAYLOAD = 4 * 1024 * 1024;
const SEED = Number(process.env.RACKBOOT_FUZZ_SEED ?? Date.now() % 2 ** 31);

/** mulberry32: a small seeded generator, so a failing run can be repeated with RACKBOOT_FUZZ_SEED. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
const random = seeded(SEED);
const int = (min: number, max: number): number => min + Math.floor(random() * (max - min + 1));
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const chance = (p: number): boolean => random() < p;

// Requests whose valid input only reads. Every other method gets an input no schema accepts (never an object, never
// null, which the dispatcher reads as {}), so the fuzzer cannot start services, scan a subnet or talk to a BMC.
const READ_ONLY = ['app.info', 'nodes.list', 'images.list', 'deploy.list', 'services.status', 'deploy.getSettings'] as const;
const ACTING = [
  'nodes.add', 'nodes.update', 'nodes.remove', 'nodes.importHardwareInfo', 'images.add', 'images.remove', 'bmc.test',
  'bmc.testCredentials', 'bmc.power', 'bmc.setBootDevice', 'bmc.discover', 'console.open', 'console.input',
  'network.plan', 'network.apply', 'network.undo', 'services.start', 'services.stop', 'deploy.setSettings',
  'deploy.start', 'deploy.cancel', 'deploy.log', 'capture.start', 'diagnostics.floodLog',
] as const;
const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'isPrototypeOf'];
/** The keys the server refuses anywhere in a message (the others above are only odd names, and pass as any key). */
const REFUSED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const INVALID_UTF8 = [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0x80], [0xfe, 0xfe]];

function randomText(maxLength: number): string {
  const length = int(0, maxLength);
  let text = '';
  for (let i = 0; i < length; i++) {
    const kind = random();
    if (kind < 0.6) text += String.fromCharCode(int(0x20, 0x7e));
    else if (kind < 0.7) text += String.fromCharCode(int(0, 0x1f));
    else if (kind < 0.85) text += String.fromCodePoint(int(0x80, 0xd7ff));
    else if (kind < 0.95) text += String.fromCodePoint(int(0x10000, 0x10ffff));
    else text += pick(['"', '\\', '{', '}', '[', ']', ':', ',', '__proto__']);
  }
  return text;
}

function randomJson(depth: number): unknown {
  const kind = depth > 3 ? int(0, 4) : int(0, 6);
  switch (kind) {
    case 0: return null;
    case 1: return chance(0.5);
    case 2: return pick([0, -1, 1.5, 2 ** 53 + 2, 1e308, -0, int(-1e9, 1e9)]);
    case 3: return randomText(20);
    case 4: return pick(PROTOTYPE_NAMES);
    case 5: return Array.from({ length: int(0, 4) }, () => randomJson(depth + 1));
    default: {
      const object: Record<string, unknown> = {};
      for (let i = int(0, 4); i > 0; i--) Object.defineProperty(object, chance(0.4) ? pick(PROTOTYPE_NAMES) : randomText(8), { value: randomJson(depth + 1), enumerable: true, configurable: true, writable: true });
      return object;
    }
  }
}

/** Text that is never an object with a usable id: the server must answer with a standalone error. */
function unaddressableText(): string {
  switch (int(0, 5)) {
    case 0: return randomText(200);
    case 1: return JSON.stringify(randomJson(0)).replace(/^\{/, '[{').replace(/\}$/, '}]');
    case 2: return JSON.stringify({ id: pick(['1', 1.5, null, [1], { n: 1 }, true, 2 ** 53 + 2, 1e300]), method: 'app.info', input: {} });
    case 3: return JSON.stringify({ method: pick(READ_ONLY), input: {} });
    case 4: {
      const depth = int(1000, 20000);
      return `${'['.repeat(depth)}${']'.repeat(chance(0.5) ? depth : int(0, 3))}`;
    }
    default: return JSON.stringify({ id: 1, method: 'app.info' }).slice(0, int(1, 20));
  }
}

/** Whether a refused key occurs anywhere in `text` as a key. */
function hasRefusedKey(text: string): boolean {
  return [...REFUSED_KEYS].some((key) => text.includes(`"${key}":`));
}

/** A JSON envelope with a prototype key mixed in (JSON.parse keeps `__proto__` as an own key, as an attacker sends it). */
function withPrototypeKeys(body: string): string {
  return `{"${pick(PROTOTYPE_NAMES)}":${JSON.stringify(randomJson(1))},${body.slice(1)}`;
}

type Expectation = { id: number; ok: boolean } | { standalone: true };

interface Message {
  opcode: number;
  payload: Buffer;
  expect: Expectation;
}

/** One message a server must answer: a request (read-only ones succeed, all else fails) or something that is none. */
function randomMessage(nextId: () => number): Message {
  const id = nextId();
  const text = (body: string, expect: Expectation): Message => ({ opcode: OPCODE.text, payload: Buffer.from(body), expect });
  switch (int(0, 9)) {
    case 0:
    case 1: {
      const input = chance(0.3) ? { [pick(PROTOTYPE_NAMES)]: randomJson(1), extra: randomJson(2) } : {};
      const body = chance(0.3) ? withPrototypeKeys(JSON.stringify({ id, method: pick(READ_ONLY), input })) : JSON.stringify({ id, method: pick(READ_ONLY), input });
      // Odd but harmless keys are ignored; a prototype key anywhere gets the whole request refused.
      return text(body, { id, ok: !hasRefusedKey(body) });
    }
    case 2:
      return text(JSON.stringify({ id, method: pick(ACTING), input: pick([0, 'x', [], [{}], true, false, randomText(30)]) }), { id, ok: false });
    case 3:
      return text(JSON.stringify({ id, method: pick(PROTOTYPE_NAMES), input: {} }), { id, ok: false });
    case 4: {
      // Fields a node needs, hidden where only a polluted prototype would show them to the schema.
      const fields = { id: 'n1', name: 'fuzz', bmcAddress: '127.0.0.1', bmcUser: 'root', bmcPassword: 'pw' };
      const hidden = pick([`{"__proto__":${JSON.stringify(fields)}}`, `{"constructor":{"prototype":${JSON.stringify(fields)}}}`]);
      return text(`{"id":${id},"method":"${pick(['nodes.add', 'nodes.update', 'nodes.remove'])}","input":${hidden}}`, { id, ok: false });
    }
    case 5:
      return text(JSON.stringify({ id, method: pick([42, null, ['app.info'], { name: 'app.info' }, true]), input: {} }), { id, ok: false });
    case 6:
      return text(JSON.stringify({ id, method: randomText(30), input: randomJson(0) }), { id, ok: false });
    case 7:
      return { opcode: OPCODE.binary, payload: Buffer.from(chance(0.5) ? JSON.stringify({ id, method: 'app.info', input: {} }) : randomText(300)), expect: { standalone: true } };
    case 8:
      return text(unaddressableText(), { standalone: true });
    default:
      // Near the size limit, still within it: answered like any other request.
      if (chance(0.0005)) return text(JSON.stringify({ id, method: 'app.info', input: { pad: 'x'.repeat(MAX_PAYLOAD - 200) } }), { id, ok: true });
      return text(JSON.stringify({ id, method: 'nodes.remove', input: { id: pick([0, null, [], {}, true, 1.5, '', ['n1'], JSON.parse('{"__proto__":"n1"}') as unknown]) } }), { id, ok: false });
  }
}

/** The frames that carry a message, in one frame or fragmented, with pings between fragments as the RFC allows. */
function framesFor(message: Message): { frames: Buffer[]; pings: number } {
  if (message.payload.length < 2 || chance(0.7)) return { frames: [encodeFrame({ opcode: message.opcode, payload: message.payload })], pings: 0 };
  const cuts = [...new Set(Array.from({ length: int(1, 5) }, () => int(1, message.payload.length - 1)))].sort((a, b) => a - b);
  const pieces = [0, ...cuts].map((start, i) => message.payload.subarray(start, [...cuts, message.payload.length][i]));
  const frames: Buffer[] = [];
  let pings = 0;
  pieces.forEach((piece, i) => {
    frames.push(encodeFrame({ opcode: i === 0 ? message.opcode : OPCODE.continuation, payload: piece, fin: i === pieces.length - 1 }));
    if (i < pieces.length - 1 && chance(0.3)) {
      frames.push(encodeFrame({ opcode: OPCODE.ping, payload: Buffer.from(randomText(20)).subarray(0, 125) }));
      pings++;
    }
  });
  return { frames, pings };
}

function invalidUtf8Text(): Buffer {
  const valid = Buffer.from(randomText(40));
  const at = int(0, valid.length);
  return Buffer.concat([valid.subarray(0, at), Buffer.from(pick(INVALID_UTF8)), valid.subarray(at)]);
}

/** How a connection ends: frames that break the protocol and the close code the server must send (null: none). */
function randomEnding(): { frames: Buffer[]; code: number | null; name: string } {
  const small = (): Buffer => Buffer.from(randomText(10));
  const over = (): bigint => BigInt(MAX_PAYLOAD + int(1, 1000)) * BigInt(pick([1, 1, 1000, 2 ** 20]));
  switch (int(0, 17)) {
    case 0: return { name: 'oversized message', frames: [encodeFrame({ opcode: pick([OPCODE.text, OPCODE.binary]), declaredLength: over() })], code: 1009 };
    case 1: return { name: 'length over 2^53', frames: [encodeFrame({ opcode: OPCODE.binary, declaredLength: 2n ** 63n + BigInt(int(0, 1000)) })], code: 1009 };
    case 2:
      return {
        name: 'oversized fragmented message',
        // The first fragment's byte puts the total one over the limit.
        frames: [encodeFrame({ opcode: OPCODE.text, payload: Buffer.from('{'), fin: false }), encodeFrame({ opcode: OPCODE.continuation, declaredLength: BigInt(MAX_PAYLOAD) })],
        code: 1009,
      };
    case 3: return { name: 'invalid UTF-8 text', frames: [encodeFrame({ opcode: OPCODE.text, payload: invalidUtf8Text() })], code: 1007 };
    case 4: {
      const bad = invalidUtf8Text();
      const cut = int(0, bad.length);
      return {
        name: 'invalid UTF-8 in a fragmented text',
        frames: [encodeFrame({ opcode: OPCODE.text, payload: bad.subarray(0, cut), fin: false }), encodeFrame({ opcode: OPCODE.continuation, payload: bad.subarray(cut) })],
        code: 1007,
      };
    }
    case 5: {
      const reason = invalidUtf8Text().subarray(0, 120);
      return { name: 'close reason not UTF-8', frames: [encodeFrame({ opcode: OPCODE.close, payload: Buffer.concat([Buffer.from([0x03, 0xe8]), reason]) })], code: 1007 };
    }
    case 6: return { name: 'reserved opcode', frames: [encodeFrame({ opcode: pick([3, 4, 5, 6, 7, 11, 12, 13, 14, 15]), payload: small() })], code: 1002 };
    case 7: return { name: 'RSV bits', frames: [encodeFrame({ opcode: pick([OPCODE.text, OPCODE.binary, OPCODE.ping]), rsv: int(1, 7), payload: small() })], code: 1002 };
    case 8: return { name: 'unmasked frame', frames: [encodeFrame({ opcode: pick([OPCODE.text, OPCODE.binary, OPCODE.ping]), masked: false, payload: small() })], code: 1002 };
    case 9: return { name: 'fragmented control frame', frames: [encodeFrame({ opcode: pick([OPCODE.ping, OPCODE.pong, OPCODE.close]), fin: false, payload: Buffer.alloc(0) })], code: 1002 };
    case 10: return { name: 'control frame over 125 bytes', frames: [encodeFrame({ opcode: pick([OPCODE.ping, OPCODE.pong, OPCODE.close]), payload: Buffer.alloc(int(126, 1000), 0x61) })], code: 1002 };
    case 11: return { name: 'continuation with nothing to continue', frames: [encodeFrame({ opcode: OPCODE.continuation, payload: small() })], code: 1002 };
    case 12:
      return {
        name: 'new message inside a fragmented one',
        frames: [encodeFrame({ opcode: OPCODE.text, payload: small(), fin: false }), encodeFrame({ opcode: pick([OPCODE.text, OPCODE.binary]), payload: small() })],
        code: 1002,
      };
    case 13: {
      const code = pick([0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535]);
      const payload = Buffer.alloc(2);
      payload.writeUInt16BE(code);
      return { name: 'close with an invalid code', frames: [encodeFrame({ opcode: OPCODE.close, payload })], code: 1002 };
    }
    case 14: return { name: 'close with a 1-byte payload', frames: [encodeFrame({ opcode: OPCODE.close, payload: Buffer.from([0x03]) })], code: 1002 };
    case 15: return { name: 'clean close', frames: [encodeFrame({ opcode: OPCODE.close, payload: Buffer.from([0x03, 0xe8, 0x62, 0x79, 0x65]) })], code: 1000 };
    default: {
      // Half a frame, then the client is gone: the server has no one to send a close code to, and must not mind.
      const frame = encodeFrame({ opcode: OPCODE.text, payload: Buffer.from(randomText(300)) });
      return { name: 'cut off mid-frame', frames: [frame.subarray(0, int(1, Math.max(1, frame.length - 1)))], code: null };
    }
  }
}

/** Handshakes a server must refuse (with the HTTP status it must answer), sent now and then instead of a session. */
function randomBadHandshake(token: string): { request: string; status: RegExp } {
  switch (int(0, 4)) {
    case 0: return { request: RawWebSocket.upgradeRequest(`/api?token=${token}x`), status: /^HTTP\/1\.1 403/ };
    case 1: return { request: RawWebSocket.upgradeRequest(`//[?token=${token}`), status: /^HTTP\/1\.1 400/ };
    case 2: return { request: RawWebSocket.upgradeRequest(`/api?token=${token}`, 'Origin: http://evil.example\r\n'), status: /^HTTP\/1\.1 403/ };
    case 3: return { request: RawWebSocket.upgradeRequest(`/api?token=${token}`).replace('Version: 13', 'Version: 7'), status: /^HTTP\/1\.1 (400|426)/ };
    default: return { request: `X${randomText(40).replace(/[\r\n]/g, '')}\r\n\r\n`, status: /^(HTTP\/1\.1 400|closed without a response)/ };
  }
}

interface Headless {
  child: ChildProcess;
  port: number;
  token: string;
  exited: Promise<string>;
  probe(): Promise<string>;
}

async function startHeadlessProcess(dir: string): Promise<Headless> {
  const rendererDir = path.join(dir, 'renderer');
  await mkdir(rendererDir, { recursive: true });
  await writeFile(path.join(rendererDir, 'index.html'), '<!doctype html><title>Rackboot</title>');
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--import',
      path.join(import.meta.dirname, 'test-support/raw-text-import.mjs'),
      '--import',
      path.join(import.meta.dirname, 'test-support/prototype-probe.ts'), path.join(import.meta.dirname, 'main.ts'), '--port', '0', '--data-dir', path.join(dir, 'data')],
    { env: { ...process.env, RACKBOOT_RENDERER_DIR: rendererDir }, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const stderr: string[] = [];
  child.stderr?.on('data', (data: Buffer) => stderr.push(data.toString()));
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(`exited (code ${code}, signal ${signal}): ${stderr.join('').slice(-2000)}`)));
  const lines = readline.createInterface({ input: child.stdout! });
  const probes: ((line: string) => void)[] = [];
  const started = new Promise<{ port: number; token: string }>((resolve, reject) => {
    void exited.then((why) => reject(new Error(`the headless server ${why}`)));
    lines.on('line', (line) => {
      const url = /open http:\/\/127\.0\.0\.1:(\d+)\/\?token=(\S+)/.exec(line);
      if (url) resolve({ port: Number(url[1]), token: url[2]! });
      if (line.startsWith('prototypes ')) probes.shift()?.(line);
    });
  });
  const { port, token } = await started;
  return {
    child,
    port,
    token,
    exited,
    probe: () =>
      new Promise((resolve) => {
        probes.push(resolve);
        child.stdin?.write('probe\n');
      }),
  };
}

/** A well-behaved client calling app.info all along; records how long each answer took. */
function startWatcher(server: Headless): { stop(): Promise<{ answered: number; slowestMs: number; failures: string[] }> } {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api?token=${server.token}`);
  const failures: string[] = [];
  let answered = 0;
  let slowestMs = 0;
  let id = 0;
  const sentAt = new Map<number, number>();
  ws.on('message', (data) => {
    const message = JSON.parse(data.toString()) as WsMessage;
    if (message.kind !== 'result') return;
    const started = sentAt.get(message.id);
    sentAt.delete(message.id);
    if (started === undefined || !message.ok) failures.push(`unexpected answer ${data.toString().slice(0, 200)}`);
    else {
      answered++;
      slowestMs = Math.max(slowestMs, performance.now() - started);
    }
  });
  ws.on('close', (code) => failures.push(`the watcher's connection closed (${code})`));
  const timer = setInterval(() => {
    if (ws.readyState !== ws.OPEN) return;
    for (const [pending, at] of sentAt) if (performance.now() - at > 5000) failures.push(`app.info #${pending} unanswered after 5 s`);
    id++;
    sentAt.set(id, performance.now());
    ws.send(JSON.stringify({ id, method: 'app.info', input: {} }));
  }, 20);
  return {
    async stop() {
      clearInterval(timer);
      await new Promise<void>((resolve) => {
        const check = setInterval(() => {
          if (sentAt.size === 0 || [...sentAt.values()].every((at) => performance.now() - at > 5000)) {
            clearInterval(check);
            resolve();
          }
        }, 10);
      });
      ws.removeAllListeners('close');
      ws.close();
      return { answered, slowestMs, failures: [...failures, ...[...sentAt.keys()].map((pending) => `app.info #${pending} never answered`)] };
    },
  };
}

interface LaneReport {
  frames: number;
  sessions: number;
  badHandshakes: number;
  closeCodes: Map<string, number>;
}

/** One connection after another, each sending random messages and then ending badly, until the lane's share is sent. */
async function runLane(server: Headless, frameBudget: number, report: LaneReport): Promise<void> {
  while (report.frames < frameBudget) {
    if (chance(0.02)) {
      const bad = randomBadHandshake(server.token);
      const { status } = await RawWebSocket.open(server.port, bad.request);
      expect(status, `seed ${SEED}: refused handshake`).toMatch(bad.status);
      report.badHandshakes++;
      continue;
    }
    const { status, client } = await RawWebSocket.open(server.port, RawWebSocket.upgradeRequest(`/api?token=${server.token}`));
    if (!client) throw new Error(`seed ${SEED}: the upgrade was refused: ${status}`);
    report.sessions++;
    let lastId = 0;
    const expectations = new Map<number, boolean>();
    let standalone = 0;
    let pings = 0;
    const batch: Buffer[] = [];
    for (let n = int(0, 100); n > 0; n--) {
      if (chance(0.05)) {
        batch.push(encodeFrame({ opcode: pick([OPCODE.ping, OPCODE.pong]), payload: Buffer.from(randomText(30)).subarray(0, 125) }));
        if ((batch.at(-1)!.readUInt8(0) & 0x0f) === OPCODE.ping) pings++;
        continue;
      }
      const message = randomMessage(() => ++lastId);
      if ('standalone' in message.expect) standalone++;
      else expectations.set(message.expect.id, message.expect.ok);
      const carried = framesFor(message);
      batch.push(...carried.frames);
      pings += carried.pings;
    }
    for (const frame of batch) client.write(frame);
    report.frames += batch.length;
    const answers: WsMessage[] = [];
    let pongs = 0;
    let seen = 0;
    const arrived = (): boolean => {
      for (const frame of client.frames.slice(seen)) {
        if (frame.opcode === OPCODE.pong) pongs++;
        const message = frame.opcode === OPCODE.text ? (JSON.parse(frame.payload.toString()) as WsMessage) : null;
        if (message && message.kind !== 'events') answers.push(message);
      }
      seen = client.frames.length;
      return client.ended || (answers.length >= expectations.size + standalone && pongs >= pings);
    };
    await client.waitUntil(arrived, 20_000, `seed ${SEED}: answers to ${expectations.size + standalone} messages and ${pings} pings`);
    expect(client.ended, `seed ${SEED}: the server closed a connection that broke no rule`).toBe(false);
    for (const answer of answers) {
      if (answer.kind === 'error') {
        expect(answer.error.code).toBe('malformed-request');
        standalone--;
      } else if (answer.kind === 'result') {
        expect(answer.ok, `seed ${SEED}: answer to #${answer.id}: ${JSON.stringify(answer).slice(0, 300)}`).toBe(expectations.get(answer.id));
        expectations.delete(answer.id);
      }
    }
    expect({ unanswered: [...expectations.keys()], standalone }).toEqual({ unanswered: [], standalone: 0 });

    const ending = randomEnding();
    for (const frame of ending.frames) client.write(frame);
    report.frames += ending.frames.length;
    if (ending.code === null) {
      client.destroy();
    } else {
      const closeFrame = (): boolean => client.frames.some((frame) => frame.opcode === OPCODE.close);
      await client.waitUntil(() => closeFrame() || client.ended, 20_000, `seed ${SEED}: the close after "${ending.name}"`);
      const code = client.frames.find((frame) => frame.opcode === OPCODE.close);
      expect(code && closeCode(code), `seed ${SEED}: close code after "${ending.name}"`).toBe(ending.code);
      report.closeCodes.set(ending.name, (report.closeCodes.get(ending.name) ?? 0) + 1);
      await client.waitUntil(() => client.ended, 20_000, `seed ${SEED}: the server to end the connection after "${ending.name}"`);
    }
  }
}

describe('headless WebSocket API under fuzzing', () => {
  let dir: string;
  let server: Headless;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-ws-fuzz-'));
    server = await startHeadlessProcess(dir);
  }, 60_000);
  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
    await rm(dir, { recursive: true, force: true });
  });

  it(`survives ${TOTAL_FRAMES.toLocaleString('en')} random frames and messages, answering each, while another client keeps working`, async () => {
    const prototypesBefore = await server.probe();
    const watcher = startWatcher(server);
    const reports: LaneReport[] = Array.from({ length: LANES }, () => ({ frames: 0, sessions: 0, badHandshakes: 0, closeCodes: new Map() }));
    const crashed = server.exited.then((why) => {
      throw new Error(`seed ${SEED}: the headless server ${why}`);
    });
    const started = performance.now();
    const fuzzing = Promise.all(reports.map((report) => runLane(server, TOTAL_FRAMES / LANES, report))).catch(async (error: unknown) => {
      // A lane that sees a dead server first reports a symptom (a missing close code); name the cause instead.
      const died = await Promise.race([server.exited, new Promise<null>((resolve) => setTimeout(() => resolve(null), 1000))]);
      throw died === null ? error : new Error(`seed ${SEED}: the headless server ${died}`);
    });
    await Promise.race([fuzzing, crashed]);
    const seconds = (performance.now() - started) / 1000;
    const watched = await watcher.stop();

    const frames = reports.reduce((sum, report) => sum + report.frames, 0);
    const endings = new Set(reports.flatMap((report) => [...report.closeCodes.keys()]));
    console.log(
      `ws fuzz (seed ${SEED}): ${frames} frames in ${reports.reduce((sum, r) => sum + r.sessions, 0)} connections and ` +
        `${reports.reduce((sum, r) => sum + r.badHandshakes, 0)} refused handshakes, ${seconds.toFixed(1)} s; ` +
        `${endings.size} kinds of protocol error; the other client had ${watched.answered} answers, slowest ${watched.slowestMs.toFixed(0)} ms`,
    );
    expect(frames).toBeGreaterThanOrEqual(TOTAL_FRAMES);
    expect(server.child.exitCode).toBeNull();
    expect(watched.failures).toEqual([]);
    expect(watched.answered).toBeGreaterThan(seconds * 10);
    expect(endings.size, 'every kind of protocol error came up at least once').toBeGreaterThanOrEqual(16);
    expect(await server.probe(), 'the built-in prototypes are as they were').toBe(prototypesBefore);

    const after = new WebSocket(`ws://127.0.0.1:${server.port}/api?token=${server.token}`);
    await new Promise((resolve) => after.once('open', resolve));
    const answer = new Promise<WsMessage>((resolve) => after.once('message', (data) => resolve(JSON.parse(data.toString()) as WsMessage)));
    after.send(JSON.stringify({ id: 1, method: 'nodes.list', input: {} }));
    expect(await answer).toEqual({ kind: 'result', id: 1, ok: true, output: [] });
    after.close();
  }, 240_000);
});
