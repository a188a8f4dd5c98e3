import { randomUUID } from 'node:crypto';
import {
  credentialsProblem,
  nodeInputSchema,
  nodeUpdateSchema,
  type ImportProblem,
  type ImportResult,
  type NodeDelta,
  type NodeView,
} from '../../shared/nodes';
import type { BmcProtocol, BmcProtocolSeen } from '../../shared/redfish';
import { UserFacingError } from '../lib/user-facing-error';
import { formatHardwareInfo, hardwareInfoLines, parseHardwareInfoLine, reportedEntry } from './hardware-info';
import { NodeFiles, type NodeChange, type StoredNode } from './node-files';
import { NodeIndex } from './node-index';
import { parseNodeLine, reportedNodeLine, type ExportableNode, type NodeLineEntry } from './node-lines';
import type { SecretBox } from './secret-box';
import { TimeSlicer } from './time-slicer';

export { NODES_FILE, NODES_JOURNAL } from './node-files';

/** At most this many nodes per `nodes.changed` event, so one big import never turns into one huge message. */
const DELTA_NODES = 100;

type Mutation<T> = { changes: NodeChange[]; result: T };

/** A line of an import, parsed and ready for the duplicate checks; `entry` is the parser's own record of it. */
interface ImportCandidate<E> {
  line: number;
  bmcAddress: string;
  bmcPort: number;
  mac: string | null;
  /** The name to give it, or the base of one (`name-2`…) when an enrolled server has it already. */
  name: string;
  /** The line as a problem report may quote it: never a password. */
  reported: string;
  entry: E;
  fields: Pick<StoredNode, 'bmcUser' | 'notes' | 'rootDeviceHints' | 'eraseTargetDisk' | 'cleaning' | 'inspectedAt' | 'instance' | 'bmcProtocol' | 'redfishPort' | 'redfishSystemId'> & { bmcPassword: string };
}

/** The enrolled servers, persisted atomically on every change, with BMC passwords sealed by a SecretBox. */
export class NodeStore {
  private writes: Promise<void> = Promise.resolve();
  private readonly index: NodeIndex;
  private readonly listeners = new Set<(delta: NodeDelta) => void>();
  private revision = 0;

  private constructor(
    private readonly files: NodeFiles,
    private readonly secrets: SecretBox,
    /** By id, in enrolment order. */
    private readonly nodes: Map<string, StoredNode>,
  ) {
    this.index = new NodeIndex(nodes.values());
  }

  static async open(dataDir: string, secrets: SecretBox): Promise<NodeStore> {
    const { files, nodes } = await NodeFiles.open(dataDir, secrets.scheme);
    return new NodeStore(files, secrets, nodes);
  }

  /**
   * Hears every change once it is on disk, as deltas numbered one by one (a big change comes in several). The store
   * waits for the event loop between the parts of a big change, so each part travels on its own.
   */
  onChange(listener: (delta: NodeDelta) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  list(): NodeView[] {
    return Array.from(this.nodes.values(), toView);
  }

  /** The password, for the BMC clients only (IPMI, Redfish). */
  passwordOf(id: string): string {
    return this.open(this.find(id).sealedPassword);
  }

  has(id: string): boolean {
    return this.nodes.has(id);
  }

  get(id: string): NodeView {
    return toView(this.find(id));
  }

  async add(input: unknown): Promise<NodeView> {
    const parsed = nodeInputSchema.parse(input);
    return this.mutate(() => {
      this.assertNameFree(parsed.name);
      assertCredentialsFit(parsed.bmcUser, parsed.bmcPassword, parsed.bmcProtocol);
      this.assertBmcFree(parsed.bmcAddress, parsed.bmcPort);
      if (parsed.mac) this.assertMacFree(parsed.mac);
      const now = new Date().toISOString();
      const node: StoredNode = {
        id: randomUUID(),
        name: parsed.name,
        bmcAddress: parsed.bmcAddress,
        bmcPort: parsed.bmcPort,
        bmcUser: parsed.bmcUser,
        sealedPassword: this.seal(parsed.bmcPassword),
        mac: parsed.mac,
        systemGuid: null,
        notes: parsed.notes,
        rootDeviceHints: parsed.rootDeviceHints,
        eraseTargetDisk: parsed.eraseTargetDisk,
        cleaning: parsed.cleaning,
        inspectedAt: null,
        instance: parsed.instance,
        bmcProtocol: parsed.bmcProtocol,
        redfishPort: parsed.redfishPort,
        redfishSystemId: parsed.redfishSystemId,
        tlsTrust: parsed.tlsTrust,
        bmcProtocolSeen: null,
        createdAt: now,
        updatedAt: now,
      };
      return { changes: [{ put: node }], result: toView(node) };
    });
  }

  async update(input: unknown): Promise<NodeView> {
    const { id, changes } = nodeUpdateSchema.parse(input);
    return this.mutate(() => {
      const current = this.find(id);
      const { bmcPassword, ...fields } = changes;
      const next: StoredNode = {
        ...current,
        ...fields,
        sealedPassword: bmcPassword === undefined ? current.sealedPassword : this.seal(bmcPassword),
        updatedAt: new Date().toISOString(),
      };
      if (next.name !== current.name) this.assertNameFree(next.name, id);
      // A protocol switched to IPMI must fit the credentials kept as well as those typed now.
      if (changes.bmcUser !== undefined || bmcPassword !== undefined || changes.bmcProtocol !== undefined) {
        assertCredentialsFit(next.bmcUser, bmcPassword ?? this.open(next.sealedPassword), next.bmcProtocol);
      }
      if (next.bmcAddress !== current.bmcAddress || next.bmcPort !== current.bmcPort) {
        this.assertBmcFree(next.bmcAddress, next.bmcPort, id);
      }
      if (next.mac && next.mac !== current.mac) this.assertMacFree(next.mac, id);
      return { changes: [{ put: next }], result: toView(next) };
    });
  }

  /** What Rackboot learned itself (not typed by the operator): the BMC's System GUID, the captured MAC, the inspection, the protocol that answered. */
  async recordFacts(id: string, facts: { systemGuid?: string | null; mac?: string; inspectedAt?: string; eraseTargetDisk?: false; bmcProtocolSeen?: BmcProtocolSeen }): Promise<NodeView> {
    return this.mutate(() => {
      const current = this.find(id);
      if (facts.mac && facts.mac !== current.mac) this.assertMacFree(facts.mac, id);
      const next: StoredNode = { ...current, ...facts, updatedAt: new Date().toISOString() };
      return { changes: [{ put: next }], result: toView(next) };
    });
  }

  async remove(id: string): Promise<boolean> {
    return this.mutate(() => ({ changes: this.nodes.has(id) ? [{ remove: id }] : [], result: this.nodes.has(id) }));
  }

  /**
   * Adds every good line of a hardware_info file in one write; bad and duplicate lines come back as problems, in line
   * order. Each line costs constant time (index lookups), and the work pauses for the event loop every few
   * milliseconds, so other clients are answered during a large import.
   */
  async importHardwareInfo(text: string): Promise<ImportResult> {
    const { result } = await this.importLines(hardwareInfoLines(text), 1, (raw, line) => {
      const entry = parseHardwareInfoLine(raw, line);
      if (entry === null || 'reason' in entry) return entry;
      return {
        line,
        bmcAddress: entry.bmcAddress,
        bmcPort: 623,
        mac: entry.mac,
        name: entry.bmcAddress,
        reported: reportedEntry(entry),
        entry,
        fields: {
          bmcUser: entry.bmcUser,
          bmcPassword: entry.bmcPassword,
          notes: '',
          rootDeviceHints: null,
          eraseTargetDisk: false,
          cleaning: 'none',
          inspectedAt: null,
          instance: null,
          bmcProtocol: entry.bmcProtocol,
          redfishPort: 443,
          redfishSystemId: entry.redfishSystemId,
        },
      };
    });
    return result;
  }

  /**
   * Adds every good line of Rackboot's own export (see node-lines.ts), as importHardwareInfo does; `firstLine` numbers
   * the lines of a part of a larger file. Answers the added nodes with their entries, so their inventories can follow.
   */
  async importNodeLines(text: string, firstLine: number): Promise<{ result: ImportResult; added: { id: string; entry: NodeLineEntry }[] }> {
    const { result, added } = await this.importLines(text.split(/\r?\n/), firstLine, (raw, line) => {
      const entry = parseNodeLine(raw, line);
      if (entry === null || 'reason' in entry) return entry;
      const { input } = entry;
      return {
        line,
        bmcAddress: input.bmcAddress,
        bmcPort: input.bmcPort,
        mac: input.mac,
        name: input.name,
        reported: reportedNodeLine(entry),
        entry,
        fields: {
          bmcUser: input.bmcUser,
          bmcPassword: input.bmcPassword,
          notes: input.notes,
          rootDeviceHints: input.rootDeviceHints,
          eraseTargetDisk: false,
          cleaning: input.cleaning,
          inspectedAt: entry.inspectedAt,
          instance: input.instance,
          bmcProtocol: input.bmcProtocol,
          redfishPort: input.redfishPort,
          redfishSystemId: input.redfishSystemId,
        },
      };
    });
    return { result, added: added.map(({ id, candidate }) => ({ id, entry: candidate.entry })) };
  }

  private async importLines<E>(
    lines: string[],
    firstLine: number,
    parse: (raw: string, line: number) => ImportCandidate<E> | ImportProblem | null,
  ): Promise<{ result: ImportResult; added: { id: string; candidate: ImportCandidate<E> }[] }> {
    return this.mutate(async () => {
      const slicer = new TimeSlicer();
      const problems: ImportProblem[] = [];
      const fresh = new NodeIndex();
      const changes: NodeChange[] = [];
      const added: { id: string; candidate: ImportCandidate<E> }[] = [];
      const now = new Date().toISOString();
      for (let index = 0; index < lines.length; index += 1) {
        await slicer.pace();
        const candidate = parse(lines[index]!, firstLine + index);
        if (candidate === null) continue;
        if ('reason' in candidate) {
          problems.push(candidate);
          continue;
        }
        const clash =
          this.index.bmcHolder(candidate.bmcAddress, candidate.bmcPort) ??
          fresh.bmcHolder(candidate.bmcAddress, candidate.bmcPort) ??
          (candidate.mac ? (this.index.macHolder(candidate.mac) ?? fresh.macHolder(candidate.mac)) : undefined);
        if (clash) {
          problems.push({
            line: candidate.line,
            text: candidate.reported,
            reason: `already enrolled as "${clash.name}" (same ${candidate.mac && clash.mac === candidate.mac ? 'MAC' : 'BMC address'})`,
          });
          continue;
        }
        const { bmcPassword, ...fields } = candidate.fields;
        const node: StoredNode = {
          id: randomUUID(),
          name: this.freeName(candidate.name, fresh),
          bmcAddress: candidate.bmcAddress,
          bmcPort: candidate.bmcPort,
          sealedPassword: this.seal(bmcPassword),
          mac: candidate.mac,
          systemGuid: null,
          tlsTrust: null,
          bmcProtocolSeen: null,
          ...fields,
          createdAt: now,
          updatedAt: now,
        };
        fresh.add(node);
        changes.push({ put: node });
        added.push({ id: node.id, candidate });
      }
      return { changes, result: { result: { added: changes.length, problems }, added } };
    });
  }

  /** The hardware_info file's text, passwords opened only when asked for. For the export, never for the API. */
  hardwareInfoFile(includePasswords: boolean): ReturnType<typeof formatHardwareInfo> {
    const nodes = Array.from(this.nodes.values(), (node) => ({
      ...node,
      ...(includePasswords ? { bmcPassword: this.open(node.sealedPassword) } : {}),
    }));
    return formatHardwareInfo(nodes);
  }

  /** Every node as Rackboot's own export writes it, passwords opened only when asked for. For the export only. */
  *exportableNodes(includePasswords: boolean): Generator<ExportableNode & { id: string }> {
    for (const node of this.nodes.values()) {
      const { sealedPassword, eraseTargetDisk: _confirmedForThisRackbootOnly, systemGuid: _readAgainFromTheBmc, ...fields } = node;
      yield { ...fields, ...(includePasswords ? { bmcPassword: this.open(sealedPassword) } : {}) };
    }
  }

  /** An empty password is stored as empty, so `hasPassword` can be told without opening anything. */
  private seal(password: string): string {
    return password === '' ? '' : this.secrets.seal(password);
  }

  private open(sealed: string): string {
    return sealed === '' ? '' : this.secrets.open(sealed);
  }

  private find(id: string): StoredNode {
    const node = this.nodes.get(id);
    if (!node) throw new UserFacingError('node-not-found', 'That server is no longer in the inventory; refresh the list.');
    return node;
  }

  private assertNameFree(name: string, exceptId?: string): void {
    const holder = this.index.nameHolder(name);
    if (holder && holder.id !== exceptId) {
      throw new UserFacingError('duplicate-name', `A server named "${name}" is already enrolled; choose another name.`);
    }
  }

  private assertBmcFree(address: string, port: number, exceptId?: string): void {
    const holder = this.index.bmcHolder(address, port);
    if (holder && holder.id !== exceptId) {
      throw new UserFacingError('duplicate-bmc', `BMC ${address}:${port} is already enrolled as "${holder.name}".`);
    }
  }

  private assertMacFree(mac: string, exceptId?: string): void {
    const holder = this.index.macHolder(mac);
    if (holder && holder.id !== exceptId) throw new UserFacingError('duplicate-mac', `MAC ${mac} already belongs to "${holder.name}".`);
  }

  /** `base`, or `base-2`, `base-3`… whichever no enrolled node and no node of this import is named yet. */
  private freeName(base: string, fresh: NodeIndex): string {
    const taken = (name: string): boolean => this.index.nameHolder(name) !== undefined || fresh.nameHolder(name) !== undefined;
    let name = base;
    for (let n = 2; taken(name); n += 1) name = `${base}-${n}`;
    return name;
  }

  /**
   * Runs one change at a time against the latest state and persists it before applying it in memory and telling the
   * listeners, so concurrent requests never lose each other's writes and a failed write never leaves memory ahead of
   * the disk.
   */
  private mutate<T>(change: () => Mutation<T> | Promise<Mutation<T>>): Promise<T> {
    const run = this.writes.then(async () => {
      const { changes, result } = await change();
      if (changes.length === 0) return result;
      await this.files.record(changes, () => nodesAfter(this.nodes, changes));
      await this.apply(changes);
      return result;
    });
    this.writes = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Applies persisted changes in memory and tells the listeners, in parts of DELTA_NODES nodes with a turn of the
   * event loop after each, so a big import neither holds up other requests nor becomes one huge message. The changes
   * are on disk already: a reader between two parts sees the import a moment before it is complete, never a state
   * that was not saved.
   */
  private async apply(changes: NodeChange[]): Promise<void> {
    const slicer = new TimeSlicer();
    let part = emptyDelta();
    let size = 0;
    for (const [position, change] of changes.entries()) {
      await slicer.pace();
      if ('put' in change) {
        const previous = this.nodes.get(change.put.id);
        if (previous) this.index.remove(previous);
        this.nodes.set(change.put.id, change.put);
        this.index.add(change.put);
        (previous ? part.changed : part.added).push(toView(change.put));
        size += 1;
      } else {
        const previous = this.nodes.get(change.remove);
        if (!previous) continue;
        this.index.remove(previous);
        this.nodes.delete(change.remove);
        part.removed.push(change.remove);
        size += 1;
      }
      if (size === DELTA_NODES && position < changes.length - 1) {
        this.publish(part);
        part = emptyDelta();
        size = 0;
        await slicer.yield();
      }
    }
    if (size > 0) this.publish(part);
  }

  private publish(part: Omit<NodeDelta, 'revision'>): void {
    this.revision += 1;
    const delta = { revision: this.revision, ...part };
    for (const listener of this.listeners) listener(delta);
  }
}

function emptyDelta(): Omit<NodeDelta, 'revision'> {
  return { added: [], changed: [], removed: [] };
}

/** The nodes as they will be once `changes` are applied, for a new snapshot; read lazily, as the snapshot is written. */
function* nodesAfter(nodes: Map<string, StoredNode>, changes: NodeChange[]): Generator<StoredNode> {
  const puts = new Map<string, StoredNode>();
  const removed = new Set<string>();
  for (const change of changes) {
    if ('put' in change) {
      puts.set(change.put.id, change.put);
      removed.delete(change.put.id);
    } else {
      puts.delete(change.remove);
      removed.add(change.remove);
    }
  }
  for (const node of nodes.values()) {
    if (removed.has(node.id)) continue;
    yield puts.get(node.id) ?? node;
    puts.delete(node.id);
  }
  yield* puts.values();
}

function toView(node: StoredNode): NodeView {
  const { sealedPassword, ...rest } = node;
  return { ...rest, hasPassword: sealedPassword !== '' };
}

/** IPMI's 16/20-byte limits hold for a node driven over IPMI only; Redfish (and auto, Redfish first) takes longer ones. */
function assertCredentialsFit(user: string, password: string, protocol: BmcProtocol): void {
  const problem = credentialsProblem(user, password, protocol);
  if (problem) throw new UserFacingError('bmc-credentials', `${problem[0]!.toUpperCase()}${problem.slice(1)}.`);
}
