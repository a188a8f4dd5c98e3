import { bootOverridePatch, isPoweredOn, resetTypeFor, withoutBootMode, type BootWish, type PowerOrder } from './actions';
import type { RedfishConnection, RedfishResponse } from './connection';
import { RedfishCommandError, RedfishProtocolError } from './errors';
import {
  hasMessage,
  parseCollection,
  parseEthernetInterface,
  parseSystem,
  parseTaskMonitor,
  type EthernetInterfaceFacts,
  type ServiceRoot,
  type SystemFacts,
} from './payloads';
import { quirksOf, vendorOf, type BmcVendor, type Quirks } from './vendor';

export interface SystemView {
  root: ServiceRoot;
  system: SystemFacts;
  vendor: BmcVendor;
  quirks: Quirks;
}

export interface TaskWait {
  signal?: AbortSignal;
  timeoutMs?: number;
  pollMs?: number;
}

/** The deploy's questions and orders to one ComputerSystem, over a RedfishConnection. */
export class RedfishClient {
  private systemPath: string | null;
  /** Called with what a request was changed into to suit the BMC (for the deploy log). */
  onNote: (note: string) => void = () => undefined;

  constructor(
    readonly connection: RedfishConnection,
    /** The ComputerSystem's path; null: the BMC's only (or first) system. */
    systemId: string | null,
  ) {
    this.systemPath = systemId;
  }

  get bmc(): string {
    return this.connection.bmc;
  }

  /** Which system this client drives: the one named, or the first of the Systems collection. */
  async resolveSystemPath(): Promise<string> {
    if (this.systemPath) return this.systemPath;
    const root = await this.connection.serviceRoot();
    const response = await this.connection.expectOk('GET', root.systemsPath ?? '/redfish/v1/Systems', 'listing the systems');
    const members = parseCollection(response.json);
    if (!members.ok) throw new RedfishProtocolError(this.bmc, members.problem);
    const first = members.value[0];
    if (!first) throw new RedfishProtocolError(this.bmc, 'the BMC lists no ComputerSystem');
    this.systemPath = first;
    return first;
  }

  /** Reads the system afresh (power state, boot settings and ETag change under us). */
  async read(): Promise<SystemView> {
    const path = await this.resolveSystemPath();
    const root = await this.connection.serviceRoot();
    const response = await this.connection.expectOk('GET', path, 'reading the system');
    const system = parseSystem(response.json, response.etag);
    if (!system.ok) throw new RedfishProtocolError(this.bmc, system.problem);
    const vendor = vendorOf(root, system.value);
    return { root, system: system.value, vendor, quirks: quirksOf(vendor) };
  }

  async powerOn(): Promise<boolean> {
    return isPoweredOn((await this.read()).system);
  }

  /**
   * Carries out a power order with the reset type the system allows. An order the state already satisfies is not
   * sent: several BMCs answer "On" to a running server (or "ForceOff" to a stopped one) with an error.
   */
  async power(order: PowerOrder): Promise<string | null> {
    const { system } = await this.read();
    const on = isPoweredOn(system);
    if ((order === 'on' && on) || ((order === 'off' || order === 'soft-off') && !on && system.powerState !== 'PoweringOff')) return null;
    const effective: PowerOrder = order === 'restart' && !on ? 'on' : order;
    const resetType = resetTypeFor(system, effective);
    if (!resetType.ok) throw new RedfishCommandError(this.bmc, `power ${order}`, 400, [], resetType.reason);
    const target = system.resetPath ?? `${system.path}/Actions/ComputerSystem.Reset`;
    const response = await this.connection.expectOk('POST', target, `reset ${resetType.value}`, { ResetType: resetType.value });
    await this.followTask(response, `reset ${resetType.value}`);
    return resetType.value;
  }

  /** Sets the boot override, within what the system allows, honouring its ETag and its vendor's ways. */
  async setBootOverride(wish: BootWish): Promise<void> {
    const view = await this.read();
    const plan = bootOverridePatch(view.system, wish, view.quirks);
    if (!plan.ok) throw new RedfishCommandError(this.bmc, `boot from ${wish.device}`, 400, [], plan.reason);
    for (const note of plan.value.notes) this.onNote(note);
    const what = `the boot override (${plan.value.body.Boot.BootSourceOverrideTarget}, ${plan.value.body.Boot.BootSourceOverrideEnabled})`;
    let patch = plan.value;
    let etag = view.system.etag;
    for (let attempt = 1; ; attempt += 1) {
      const ifMatch = etag ?? (view.quirks.patchNeedsEtag ? '*' : null);
      const response = await this.connection.request('PATCH', view.system.path, what, patch.body, ifMatch ? { 'If-Match': ifMatch } : {});
      if (response.status >= 200 && response.status < 300) return this.followTask(response, what);
      const failure = this.connection.failure(response, what);
      if (attempt >= 3) throw failure;
      if (response.status === 412 || response.status === 428) {
        // The ETag went stale (something else changed the system) or the BMC wants one: read it again, once more.
        etag = (await this.read()).system.etag ?? '*';
        continue;
      }
      const ids = failure instanceof RedfishCommandError ? failure.messageIds : [];
      if (response.status === 400 && patch.body.Boot.BootSourceOverrideMode && hasMessage(ids, 'PropertyNotWritable', 'PropertyValueNotInList', 'PropertyUnknown', 'ActionNotSupported')) {
        patch = withoutBootMode(patch);
        this.onNote(patch.notes.at(-1)!);
        continue;
      }
      throw failure;
    }
  }

  /** The system's NICs with their MACs (the PXE NIC among them), as the BMC lists them. */
  async ethernetInterfaces(): Promise<EthernetInterfaceFacts[]> {
    const { system } = await this.read();
    if (!system.ethernetInterfacesPath) return [];
    const collection = await this.connection.expectOk('GET', system.ethernetInterfacesPath, 'listing the network interfaces');
    const members = parseCollection(collection.json);
    if (!members.ok) throw new RedfishProtocolError(this.bmc, members.problem);
    const interfaces: EthernetInterfaceFacts[] = [];
    for (const path of members.value) {
      const response = await this.connection.expectOk('GET', path, 'reading a network interface');
      const nic = parseEthernetInterface(response.json);
      if (nic.ok) interfaces.push(nic.value);
    }
    return interfaces;
  }

  /** Waits for the task an order started (202 + Location) to end; an order done at once returns at once. */
  async followTask(response: RedfishResponse, what: string, wait: TaskWait = {}): Promise<void> {
    if (response.status !== 202 || !response.location) return;
    const deadline = Date.now() + (wait.timeoutMs ?? 300_000);
    const pollMs = wait.pollMs ?? 1000;
    for (;;) {
      if (wait.signal?.aborted) throw wait.signal.reason ?? new Error('aborted');
      const answer = await this.connection.request('GET', response.location, `following ${what}`);
      // A monitor that is gone once its task ended (404/410) means the task ended; its outcome is then unknown.
      if (answer.status === 404 || answer.status === 410) return;
      const progress = parseTaskMonitor(answer.status, answer.json);
      if (!progress.ok) throw new RedfishProtocolError(this.bmc, progress.problem);
      if (progress.value.state === 'done') return;
      if (progress.value.state === 'failed') throw new RedfishCommandError(this.bmc, what, answer.status, [], progress.value.reason);
      if (Date.now() > deadline) throw new RedfishCommandError(this.bmc, what, answer.status, [], 'the BMC task did not end in time');
      await new Promise((resolve) => setTimeout(resolve, Math.max(pollMs, (answer.retryAfterS ?? 0) * 1000)));
    }
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}
