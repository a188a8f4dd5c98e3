import { UserFacingError } from '../lib/user-facing-error';
import type { Authenticator } from './auth';
import type { HttpRequest, HttpSend } from './http-transport';
import type { IronicNodeRecord, IronicNodeSpec, IronicPortRecord, IronicPortSpec } from './node-mapping';
import { type Microversion, negotiateMicroversion, parseVersionDocument } from './microversion';

export const VERSION_HEADER = 'X-OpenStack-Ironic-API-Version';

/** One JSON Patch operation as Ironic takes it (RFC 6902 add/replace/remove). */
export interface PatchOperation {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
}

/** A node's state as the hand-off follows it. */
export interface NodeState {
  uuid: string;
  name: string | null;
  provision_state: string;
  target_provision_state: string | null;
  provision_updated_at: string | null;
  last_error: string | null;
}

export type NodeDetail = IronicNodeRecord & NodeState;

export interface PortDetail extends IronicPortRecord {
  uuid: string;
}

const STATE_FIELDS = 'uuid,name,provision_state,target_provision_state,provision_updated_at,last_error';
const PORT_FIELDS = 'uuid,address,node_uuid,pxe_enabled';

/** Ironic's v1 API at the agreed microversion, one method per call the hand-off makes. */
export class IronicApi {
  private constructor(
    private readonly root: URL,
    private readonly send: HttpSend,
    private readonly auth: Authenticator,
    readonly version: Microversion,
  ) {}

  /** Reads the API's version range from its root and agrees on the highest version both sides speak. */
  static async connect(url: string, send: HttpSend, auth: Authenticator): Promise<IronicApi> {
    const root = new URL(url.replace(/\/+$/, '').replace(/\/v1$/, '') + '/');
    const response = await send({ method: 'GET', url: root, headers: { Accept: 'application/json', ...(await auth.headers()) } });
    if (response.status !== 200) {
      throw new UserFacingError('ironic-version', `${root.host} answered ${response.status} to "which API versions": check that the address is Ironic's API (port 6385 by default).`);
    }
    const range = parseVersionDocument(response.body);
    if (!range) {
      throw new UserFacingError('ironic-version', `${root.host} does not describe an Ironic v1 API at ${root.pathname}: check the address (the API's root, not /v1).`);
    }
    return new IronicApi(root, send, auth, negotiateMicroversion(range));
  }

  nodeByName(name: string): Promise<NodeDetail | null> {
    return this.requestOrNull<NodeDetail>('GET', `v1/nodes/${encodeURIComponent(name)}`);
  }

  createNode(spec: IronicNodeSpec): Promise<NodeDetail> {
    return this.request<NodeDetail>('POST', 'v1/nodes', spec);
  }

  patchNode(uuid: string, operations: readonly PatchOperation[]): Promise<NodeDetail> {
    return this.request<NodeDetail>('PATCH', `v1/nodes/${encodeURIComponent(uuid)}`, operations);
  }

  nodeState(uuid: string): Promise<NodeState> {
    return this.request<NodeState>('GET', `v1/nodes/${encodeURIComponent(uuid)}?fields=${STATE_FIELDS}`);
  }

  async setProvisionState(uuid: string, target: 'manage'): Promise<void> {
    await this.request<unknown>('PUT', `v1/nodes/${encodeURIComponent(uuid)}/states/provision`, { target });
  }

  async portByAddress(mac: string): Promise<PortDetail | null> {
    const page = await this.request<{ ports: PortDetail[] }>('GET', `v1/ports?address=${encodeURIComponent(mac)}&fields=${PORT_FIELDS}`);
    return page.ports[0] ?? null;
  }

  createPort(nodeUuid: string, spec: IronicPortSpec): Promise<PortDetail> {
    return this.request<PortDetail>('POST', 'v1/ports', { ...spec, node_uuid: nodeUuid });
  }

  patchPort(uuid: string, operations: readonly PatchOperation[]): Promise<PortDetail> {
    return this.request<PortDetail>('PATCH', `v1/ports/${encodeURIComponent(uuid)}`, operations);
  }

  /** Every node with its details, page by page (Ironic hands out at most its `max_limit` per page). */
  listNodes(): Promise<NodeDetail[]> {
    return this.listAll<NodeDetail>('v1/nodes/detail', 'nodes');
  }

  listPorts(): Promise<PortDetail[]> {
    return this.listAll<PortDetail>(`v1/ports?fields=${PORT_FIELDS}`, 'ports');
  }

  private async listAll<T>(path: string, key: 'nodes' | 'ports'): Promise<T[]> {
    const items: T[] = [];
    let next: string | null = path;
    while (next !== null) {
      const page: Record<string, unknown> = await this.request<Record<string, unknown>>('GET', next);
      const batch = page[key];
      if (!Array.isArray(batch)) throw new UserFacingError('ironic-answer', `Ironic's ${key} list came without "${key}": is this Ironic's API?`);
      items.push(...(batch as T[]));
      next = typeof page['next'] === 'string' && batch.length ? this.relative(page['next']) : null;
    }
    return items;
  }

  /** Ironic's `next` link is absolute and may name the host as Ironic sees itself: keep only path and query. */
  private relative(link: string): string {
    const url = new URL(link, this.root);
    return `${url.pathname.replace(/^\/+/, '').slice(this.root.pathname.length - 1)}${url.search}`;
  }

  private async requestOrNull<T>(method: HttpRequest['method'], path: string): Promise<T | null> {
    try {
      return await this.request<T>(method, path);
    } catch (error) {
      if (error instanceof IronicApiError && error.status === 404) return null;
      throw error;
    }
  }

  private async request<T>(method: HttpRequest['method'], path: string, body?: unknown): Promise<T> {
    const url = new URL(path, this.root);
    for (let attempt = 0; ; attempt += 1) {
      const response = await this.send({
        method,
        url,
        headers: {
          Accept: 'application/json',
          [VERSION_HEADER]: this.version.text,
          ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
          ...(await this.auth.headers()),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      if (response.status === 401 && this.auth.renewable && attempt === 0) {
        this.auth.invalidate();
        continue;
      }
      if (response.status >= 200 && response.status < 300) {
        return (response.body ? JSON.parse(response.body) : {}) as T;
      }
      throw new IronicApiError(response.status, method, url.pathname, faultString(response.body));
    }
  }
}

/** A refusal from Ironic's API, with the reason Ironic gave. */
export class IronicApiError extends UserFacingError {
  constructor(
    readonly status: number,
    method: string,
    path: string,
    readonly fault: string,
  ) {
    super(
      status === 401 || status === 403 ? 'ironic-auth' : 'ironic-refused',
      status === 401
        ? `Ironic refused the sign-in (401): check the authentication type, user and password. Ironic said: ${fault}`
        : status === 403
          ? `Ironic does not allow this user to ${method} ${path} (403): ask for a role that may enrol nodes. Ironic said: ${fault}`
          : `Ironic refused ${method} ${path} (${status}): ${fault}`,
    );
  }
}

/** Ironic wraps its reason twice: `{"error_message": "{\"faultstring\": \"…\"}"}`. */
export function faultString(body: string): string {
  try {
    const outer = JSON.parse(body) as { error_message?: unknown };
    const inner = typeof outer.error_message === 'string' ? (JSON.parse(outer.error_message) as { faultstring?: unknown }) : outer.error_message;
    if (typeof inner === 'object' && inner !== null && typeof (inner as { faultstring?: unknown }).faultstring === 'string') {
      return (inner as { faultstring: string }).faultstring;
    }
  } catch {
    // Not Ironic's JSON error (a proxy's page, say): the text itself says more than nothing.
  }
  const text = body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
  return text.length > 300 ? `${text.slice(0, 300)}…` : text || 'no reason given';
}
