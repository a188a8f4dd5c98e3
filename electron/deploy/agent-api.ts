import { timingSafeEqual } from 'node:crypto';
import { isCanonicalMac } from '../../shared/mac';

/** What one node's agent is told to do. Values are restricted so the agent's shell can read them as plain text. */
export interface AgentJob {
  nodeId: string;
  mac: string;
  token: string;
  imageUrl: string;
  imageFormat: 'raw' | 'gzip';
  /** Bytes the agent writes to the disk (for gzip, the size once decompressed). */
  imageSize: number;
  /** `deploy` writes the image; `inspect` only collects the inventory (the image fields are then unused). */
  action: 'deploy' | 'inspect';
  /** The device Rackboot chose from the inventory the agent posted; null until it arrives (the job waits for it). */
  disk: string | null;
  /** Devices whose partition tables and filesystem signatures the agent wipes before the write. */
  clean: string[];
}

/** What an agent reported, in the order it happens. */
export type AgentReport =
  | { kind: 'connected' }
  /** The agent's inventory report (agent/inventory.sh), as it came: Rackboot reads it. */
  | { kind: 'inventory'; report: string }
  | { kind: 'progress'; written: number }
  | { kind: 'log'; line: string }
  | { kind: 'result'; sha256: string }
  | { kind: 'failed'; reason: string };

export interface AgentRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: string;
}

export interface AgentResponse {
  status: number;
  body: string;
}

/** An agent request that was not served: who asked, for what, and why not (for the deploy log). */
export interface AgentRefusal {
  /** The MAC the request named, or null when it named none that reads as a MAC. */
  mac: string | null;
  endpoint: string;
  status: number;
  reason: string;
}

const SAFE_VALUE = /^[A-Za-z0-9:/._%?=&+,-]+$/;
const MAX_LOG_LINE = 2000;

function sameToken(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

function text(status: number, body: string): AgentResponse {
  return { status, body: body.endsWith('\n') ? body : `${body}\n` };
}

/** `key=value` lines, the only format a busybox shell reads without a JSON parser. */
export function renderJob(job: AgentJob): string {
  const values: Record<string, string> =
    job.action === 'inspect'
      ? { action: 'inspect' }
      : { action: 'deploy', image_url: job.imageUrl, image_format: job.imageFormat, image_size: String(job.imageSize), disk: job.disk ?? '', clean: job.clean.length > 0 ? job.clean.join(',') : 'none' };
  for (const [key, value] of Object.entries(values)) {
    if (!SAFE_VALUE.test(value)) throw new Error(`job value ${key} has characters the agent cannot read safely: ${value}`);
  }
  return Object.entries(values)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n');
}

/**
 * The agent side of Rackboot's HTTP server (docs/agent-api.md), without sockets: a request in, a response out, and
 * each accepted report handed to `onReport`. A request without the job's token is refused, so another machine on the
 * segment can neither take a node's job nor report for it; every refusal is handed to `onRefused`.
 */
export class AgentApi {
  private readonly jobs = new Map<string, AgentJob>();

  constructor(
    private readonly onReport: (job: AgentJob, report: AgentReport) => void,
    private readonly onRefused: (refusal: AgentRefusal) => void,
  ) {}

  offer(job: AgentJob): void {
    this.jobs.set(job.mac.toLowerCase(), job);
  }

  withdraw(mac: string): void {
    this.jobs.delete(mac.toLowerCase());
  }

  handle(request: AgentRequest): AgentResponse | null {
    const match = /^\/agent\/v1\/(job|inventory|progress|log|result|failed)$/.exec(request.path);
    if (!match) return null;
    const endpoint = match[1]!;
    const mac = (request.query.get('mac') ?? '').toLowerCase();
    const refuse = (status: number, reason: string): AgentResponse => {
      this.onRefused({ mac: isCanonicalMac(mac) ? mac : null, endpoint, status, reason });
      return text(status, reason);
    };
    const job = this.jobs.get(mac);
    if (!job) return refuse(404, 'no deploy job for this MAC');
    if (!sameToken(job.token, request.query.get('token') ?? '')) return refuse(403, 'wrong job token');

    if (endpoint === 'job') {
      if (request.method !== 'GET') return refuse(405, 'GET only');
      if (job.action === 'deploy' && job.disk === null) return refuse(409, 'post the inventory first: the target disk is chosen from it');
      this.onReport(job, { kind: 'connected' });
      return text(200, renderJob(job));
    }
    if (request.method !== 'POST') return refuse(405, 'POST only');
    const report = parseReport(endpoint, request.body);
    if (!report) return refuse(400, `malformed ${endpoint} report`);
    this.onReport(job, report);
    return text(200, 'ok');
  }
}

function field(body: string, key: string): string | null {
  const line = body.split('\n').find((candidate) => candidate.startsWith(`${key}=`));
  return line === undefined ? null : line.slice(key.length + 1).trim();
}

function parseReport(endpoint: string, body: string): AgentReport | null {
  switch (endpoint) {
    case 'progress': {
      const written = Number(field(body, 'written'));
      return Number.isSafeInteger(written) && written >= 0 ? { kind: 'progress', written } : null;
    }
    case 'log':
      return { kind: 'log', line: body.trim().slice(0, MAX_LOG_LINE) };
    case 'inventory':
      return body.trim() === '' ? null : { kind: 'inventory', report: body };
    case 'result': {
      const sha256 = field(body, 'sha256')?.toLowerCase() ?? '';
      return /^[0-9a-f]{64}$/.test(sha256) ? { kind: 'result', sha256 } : null;
    }
    case 'failed':
      return { kind: 'failed', reason: (field(body, 'reason') ?? body).trim().slice(0, MAX_LOG_LINE) };
    default:
      return null;
  }
}
