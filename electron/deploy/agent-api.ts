import { createHash, timingSafeEqual } from 'node:crypto';
import type { ImageFormat } from '../../shared/deploy';
import { isCanonicalMac } from '../../shared/mac';

/** What one node's agent is told to do. Values are restricted so the agent's shell can read them as plain text. */
export interface AgentJob {
  nodeId: string;
  mac: string;
  token: string;
  /** The image's data extents, one after the other (what the agent writes). */
  imageUrl: string;
  /** The extent map: where each data extent goes on the disk ("OFFSET LENGTH" lines). */
  imageMapUrl: string;
  /** The format of the operator's file (for the log: the agent always gets extents). */
  imageFormat: ImageFormat;
  /** Data bytes the agent writes (the sum of the extents' lengths): what its progress counts up to. */
  imageSize: number;
  /** Bytes of the disk the image covers: everything in it outside the extents must read back as zero. */
  virtualSize: number;
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
  /** The LLDP frames the agent heard in its listening window (agent/lldp.sh), as they came; empty when none. */
  | { kind: 'lldp'; report: string }
  | { kind: 'progress'; written: number }
  | { kind: 'log'; line: string }
  | { kind: 'result'; sha256: string }
  /** The config drive's regions as read back from the disk after writing: where each starts, and its sha256. */
  | { kind: 'config-drive-written'; regions: { lba: number; sha256: string }[] }
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

/** The sectors a config drive adds around the image on this disk, or why it cannot, or none for this node. */
export type ConfigDrivePlan =
  | { kind: 'none' }
  | { kind: 'refused'; reason: string }
  | { kind: 'regions'; summary: string; regions: { lba: number; data: Uint8Array }[] };

/** The disk the agent found, as it describes it: its size in logical sectors and their size. */
export interface AgentDisk {
  sectors: number;
  sectorSize: number;
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
      : {
          action: 'deploy',
          image_url: job.imageUrl,
          image_map_url: job.imageMapUrl,
          image_format: job.imageFormat,
          image_size: String(job.imageSize),
          virtual_size: String(job.virtualSize),
          disk: job.disk ?? '',
          clean: job.clean.length > 0 ? job.clean.join(',') : 'none',
        };
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

  /** The regions last planned for each MAC, which the agent then fetches one by one. */
  private readonly plans = new Map<string, { token: string; regions: { lba: number; data: Uint8Array }[] }>();

  constructor(
    private readonly onReport: (job: AgentJob, report: AgentReport) => void,
    private readonly onRefused: (refusal: AgentRefusal) => void,
    private readonly planConfigDrive: (job: AgentJob, disk: AgentDisk) => ConfigDrivePlan = () => ({ kind: 'none' }),
  ) {}

  offer(job: AgentJob): void {
    this.jobs.set(job.mac.toLowerCase(), job);
  }

  withdraw(mac: string): void {
    this.jobs.delete(mac.toLowerCase());
    this.plans.delete(mac.toLowerCase());
  }

  /** The plan for the disk the agent describes, as `key=value` lines; the regions are kept for the agent to fetch. */
  private configDrive(job: AgentJob, query: URLSearchParams, refuse: (status: number, reason: string) => AgentResponse): AgentResponse {
    const sectors = Number(query.get('disk_sectors'));
    const sectorSize = Number(query.get('sector_size') ?? '512');
    if (!Number.isSafeInteger(sectors) || sectors <= 0 || !Number.isSafeInteger(sectorSize) || sectorSize <= 0) {
      return refuse(400, 'malformed config-drive request: disk_sectors and sector_size must be positive integers');
    }
    const plan = this.planConfigDrive(job, { sectors, sectorSize });
    const mac = job.mac.toLowerCase();
    if (plan.kind === 'none') return text(200, 'config_drive=none');
    if (plan.kind === 'refused') return text(200, `refused=${plan.reason.replace(/\s+/g, ' ')}`);
    this.plans.set(mac, { token: job.token, regions: plan.regions });
    const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
    return text(200, ['config_drive=yes', `summary=${plan.summary.replace(/\s+/g, ' ')}`, ...plan.regions.map((region) => `region=${region.lba}:${sha256(region.data)}`)].join('\n'));
  }

  handle(request: AgentRequest): AgentResponse | null {
    const match = /^\/agent\/v1\/(job|inventory|lldp|progress|log|result|failed|config-drive|config-drive-region|config-drive-written)$/.exec(request.path);
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
    if (endpoint === 'config-drive') {
      if (request.method !== 'GET') return refuse(405, 'GET only');
      return this.configDrive(job, request.query, refuse);
    }
    if (endpoint === 'config-drive-region') {
      if (request.method !== 'GET') return refuse(405, 'GET only');
      const plan = this.plans.get(mac);
      const index = Number(request.query.get('index'));
      const region = plan && plan.token === job.token && Number.isInteger(index) ? plan.regions[index] : undefined;
      if (!region) return refuse(404, 'no such config drive region: ask for the config drive plan first');
      return text(200, base64Lines(region.data));
    }
    if (request.method !== 'POST') return refuse(405, 'POST only');
    const report = parseReport(endpoint, request.body);
    if (!report) return refuse(400, `malformed ${endpoint} report`);
    this.onReport(job, report);
    return text(200, 'ok');
  }
}

/** Base64 in 76-character lines, as busybox base64 -d reads it. */
function base64Lines(data: Uint8Array): string {
  return (Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64').match(/.{1,76}/g) ?? []).join('\n');
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
    case 'lldp':
      return { kind: 'lldp', report: body };
    case 'result': {
      const sha256 = field(body, 'sha256')?.toLowerCase() ?? '';
      return /^[0-9a-f]{64}$/.test(sha256) ? { kind: 'result', sha256 } : null;
    }
    case 'config-drive-written': {
      const regions = body
        .split('\n')
        .filter((line) => line.startsWith('region='))
        .map((line) => /^region=(\d{1,15}):([0-9a-f]{64})$/.exec(line.trim()))
        .map((parsed) => (parsed ? { lba: Number(parsed[1]), sha256: parsed[2]! } : null));
      return regions.length > 0 && regions.every((region) => region !== null) ? { kind: 'config-drive-written', regions } : null;
    }
    case 'failed':
      return { kind: 'failed', reason: (field(body, 'reason') ?? body).trim().slice(0, MAX_LOG_LINE) };
    default:
      return null;
  }
}
