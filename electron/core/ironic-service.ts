import type { z } from 'zod';
import type { Inventory } from '../../shared/inventory';
import type {
  IronicEnrollResult,
  IronicImportResult,
  IronicNodeProgress,
  ironicConnectionSchema,
  ironicEnrollRequestSchema,
  ironicImportRequestSchema,
} from '../../shared/ironic';
import type { ExportDelivery, ExportResult, NodeView } from '../../shared/nodes';
import type { ExportDestination } from '../inventory/hardware-info-export';
import type { NodeStore } from '../inventory/node-store';
import { IronicApi } from '../ironic/api-client';
import { authenticator } from '../ironic/auth';
import { IRONIC_CREATE_FILE_NAME, ironicCreateFile } from '../ironic/create-file';
import { enrollNodes } from '../ironic/enroll';
import { openHttpTransport } from '../ironic/http-transport';
import { readIronicNodes } from '../ironic/import-nodes';
import type { HandoffNode } from '../ironic/node-mapping';
import { writeFileAtomic } from '../lib/atomic-file';
import { UserFacingError } from '../lib/user-facing-error';

type Connection = z.output<typeof ironicConnectionSchema>;

export interface IronicServiceDeps {
  nodes: NodeStore;
  /** The server's collected inventory, or null while it has none (its properties are then left out). */
  inventoryOf(nodeId: string): Promise<Inventory | null>;
  onProgress(progress: IronicNodeProgress): void;
  log(level: 'info' | 'warn' | 'error', message: string, nodeId?: string): void;
  /** Tests and the benchmark may shorten the wait for Ironic's BMC check. */
  tuning?: Partial<{ concurrency: number; pollIntervalMs: number; verifyTimeoutMs: number; driverOverride: 'fake-hardware' }>;
}

/** Rackboot's side of the hand-off to Ironic: nodes as Ironic wants them, the file, the direct enrolment, the import. */
export class IronicService {
  constructor(private readonly deps: IronicServiceDeps) {}

  /** The resources file for `baremetal create`, written where the shell says (mode 0600 on disk). */
  async export(nodeIds: readonly string[], includePasswords: boolean, destination: ExportDestination): Promise<ExportResult> {
    const nodes = await this.handoffNodes(nodeIds, includePasswords);
    const text = ironicCreateFile(nodes, includePasswords, this.deps.tuning?.driverOverride);
    let delivery: ExportDelivery;
    if (destination.kind === 'save-dialog') {
      const target = await destination.choosePath(IRONIC_CREATE_FILE_NAME);
      if (target === null) delivery = { kind: 'cancelled' };
      else {
        await writeFileAtomic(target, text, 0o600);
        delivery = { kind: 'saved', path: target };
      }
    } else {
      delivery = { kind: 'download', url: destination.offer({ name: IRONIC_CREATE_FILE_NAME, text }) };
    }
    return { delivery, exported: nodes.length, passwordsIncluded: includePasswords, skipped: [] };
  }

  async enroll(request: z.output<typeof ironicEnrollRequestSchema>): Promise<IronicEnrollResult> {
    const views = request.nodeIds.map((id) => this.deps.nodes.get(id));
    const missingPassword = views.filter((node) => !node.hasPassword).map((node) => node.name);
    if (missingPassword.length) {
      throw new UserFacingError('ironic-no-password', `Ironic needs the BMC password to check the BMC, and Rackboot has none for ${missingPassword.join(', ')}: type it in, then hand off again.`);
    }
    const targets = await Promise.all(views.map(async (view) => ({ nodeId: view.id, ...(await this.handoffNode(view, true)) })));
    const tuning = this.deps.tuning ?? {};
    return this.withApi(request.connection, tuning.concurrency ?? 8, async (api) => {
      this.deps.log('info', `Handing ${targets.length} server(s) off to Ironic at ${request.connection.url} (API ${api.version.text}).`);
      const nodes = await enrollNodes(api, targets, {
        concurrency: tuning.concurrency ?? 8,
        manage: request.manage,
        pollIntervalMs: tuning.pollIntervalMs ?? 1000,
        verifyTimeoutMs: tuning.verifyTimeoutMs ?? 5 * 60_000,
        ...(tuning.driverOverride ? { driverOverride: tuning.driverOverride } : {}),
        onProgress: (progress) => {
          this.deps.onProgress(progress);
          if (progress.step === 'failed') this.deps.log('warn', `Ironic hand-off of ${progress.name}: ${progress.message}`, progress.nodeId);
          else if (progress.step === 'manageable' || progress.step === 'sent') this.deps.log('info', `Ironic hand-off of ${progress.name}: ${progress.message}`, progress.nodeId);
        },
      });
      return { apiVersion: api.version.text, nodes };
    });
  }

  /** Adds the IPMI and Redfish nodes Ironic lists (or the named ones) to Rackboot's inventory, without passwords. */
  async import(request: z.output<typeof ironicImportRequestSchema>): Promise<IronicImportResult> {
    const outcomes = await this.withApi(request.connection, 4, (api) => readIronicNodes(api, request.names));
    const result: IronicImportResult = { added: [], skipped: [] };
    for (const outcome of outcomes) {
      if (!outcome.ok) {
        result.skipped.push({ name: outcome.name, reason: outcome.reason });
        continue;
      }
      const { node } = outcome;
      try {
        const added = await this.deps.nodes.add({
          name: node.name,
          bmcAddress: node.bmc.address,
          ...(node.bmc.protocol === 'redfish'
            ? { bmcProtocol: 'redfish' as const, redfishPort: node.bmc.port, redfishSystemId: node.bmc.systemId }
            : { bmcProtocol: 'ipmi' as const, bmcPort: node.bmc.port }),
          bmcUser: node.bmc.username,
          bmcPassword: '',
          mac: node.mac,
          rootDeviceHints: node.rootDeviceHints,
          notes: 'Imported from Ironic: type the BMC password before using it.',
        });
        if (node.systemGuid) await this.deps.nodes.recordFacts(added.id, { systemGuid: node.systemGuid });
        result.added.push(node.name);
      } catch (error) {
        result.skipped.push({ name: node.name, reason: importRefusal(error) });
      }
    }
    this.deps.log(result.skipped.length ? 'warn' : 'info', `Ironic import from ${request.connection.url}: ${result.added.length} added, ${result.skipped.length} skipped.`);
    return result;
  }

  private async withApi<T>(connection: Connection, maxSockets: number, work: (api: IronicApi) => Promise<T>): Promise<T> {
    const transport = openHttpTransport({ verifyTls: connection.verifyTls, timeoutMs: 30_000, maxSockets });
    try {
      const api = await IronicApi.connect(connection.url, transport.send, authenticator(connection.auth, transport.send));
      return await work(api);
    } finally {
      transport.close();
    }
  }

  private handoffNodes(nodeIds: readonly string[], includePasswords: boolean): Promise<HandoffNode[]> {
    return Promise.all(nodeIds.map((id) => this.handoffNode(this.deps.nodes.get(id), includePasswords)));
  }

  private async handoffNode(view: NodeView, includePassword: boolean): Promise<HandoffNode> {
    const password = includePassword && view.hasPassword ? this.deps.nodes.passwordOf(view.id) : null;
    // "auto" goes as what answered at the last connection test; a node never tested goes as IPMI, the older default.
    const protocol = view.bmcProtocol === 'auto' ? (view.bmcProtocolSeen ?? 'ipmi') : view.bmcProtocol;
    const bmc: HandoffNode['bmc'] =
      protocol === 'redfish'
        ? {
            protocol,
            address: `https://${view.bmcAddress}${view.redfishPort === 443 ? '' : `:${view.redfishPort}`}`,
            systemId: view.redfishSystemId,
            username: view.bmcUser,
            password,
            // A pinned self-signed certificate cannot be expressed to Ironic: it would refuse it if told to verify.
            verifyCa: view.tlsTrust?.kind === 'ca',
          }
        : { protocol, address: view.bmcAddress, port: view.bmcPort, username: view.bmcUser, password };
    return {
      name: view.name,
      bmc,
      mac: view.mac,
      systemGuid: view.systemGuid,
      inventory: await this.deps.inventoryOf(view.id),
      rootDeviceHints: view.rootDeviceHints,
    };
  }
}

function importRefusal(error: unknown): string {
  if (error instanceof UserFacingError) return error.message;
  if (error instanceof Error && 'issues' in error && Array.isArray(error.issues)) {
    return (error.issues as { path: (string | number)[]; message: string }[]).map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
  }
  return error instanceof Error ? error.message : String(error);
}
