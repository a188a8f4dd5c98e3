import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import {
  nodeInputSchema,
  nodeUpdateSchema,
  type ExportResult,
  type ImportResult,
  type NodeView,
} from '../../shared/nodes';
import { UserFacingError } from '../core/errors';
import { readJsonFile, writeFileAtomic } from './atomic-file';
import { formatHardwareInfo, parseHardwareInfo } from './hardware-info';
import type { SecretBox } from './secret-box';

const storedNodeSchema = z.object({
  id: z.string(),
  name: z.string(),
  bmcAddress: z.string(),
  bmcPort: z.number().int(),
  bmcUser: z.string(),
  sealedPassword: z.string(),
  mac: z.string().nullable(),
  systemGuid: z.string().nullable().default(null),
  notes: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
type StoredNode = z.infer<typeof storedNodeSchema>;

const storeFileSchema = z.object({
  version: z.literal(1),
  secretScheme: z.string(),
  nodes: z.array(storedNodeSchema),
});

export const NODES_FILE = 'nodes.json';

/** The enrolled servers, persisted atomically on every change, with BMC passwords sealed by a SecretBox. */
export class NodeStore {
  private writes: Promise<void> = Promise.resolve();


  private constructor(
    private readonly file: string,
    private readonly secrets: SecretBox,
    private nodes: StoredNode[],
  ) {}

  static async open(dataDir: string, secrets: SecretBox): Promise<NodeStore> {
    const file = path.join(dataDir, NODES_FILE);
    const raw = await readJsonFile(file);
    if (raw === undefined) return new NodeStore(file, secrets, []);
    const parsed = storeFileSchema.safeParse(raw);
    if (!parsed.success) {
      throw new Error(`The node inventory ${file} is not in a format this Rackboot understands; move it aside to start empty.`);
    }
    if (parsed.data.secretScheme !== secrets.scheme) {
      throw new Error(
        `The node inventory ${file} was sealed with ${parsed.data.secretScheme} but this run uses ${secrets.scheme}; start Rackboot the same way (desktop or headless) as before.`,
      );
    }
    return new NodeStore(file, secrets, parsed.data.nodes);
  }

  list(): NodeView[] {
    return this.nodes.map(toView);
  }

  /** The password, for the IPMI layer only. */
  passwordOf(id: string): string {
    return this.open(findNode(this.nodes, id).sealedPassword);
  }

  get(id: string): NodeView {
    return toView(findNode(this.nodes, id));
  }

  async add(input: unknown): Promise<NodeView> {
    const parsed = nodeInputSchema.parse(input);
    return this.mutate((nodes) => {
      assertUniqueName(nodes, parsed.name);
      assertUniqueBmc(nodes, parsed.bmcAddress, parsed.bmcPort);
      if (parsed.mac) assertUniqueMac(nodes, parsed.mac);
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
        createdAt: now,
        updatedAt: now,
      };
      return { next: [...nodes, node], result: toView(node) };
    });
  }

  async update(input: unknown): Promise<NodeView> {
    const { id, changes } = nodeUpdateSchema.parse(input);
    return this.mutate((nodes) => {
      const current = findNode(nodes, id);
      const { bmcPassword, ...fields } = changes;
      const next: StoredNode = {
        ...current,
        ...fields,
        sealedPassword: bmcPassword === undefined ? current.sealedPassword : this.seal(bmcPassword),
        updatedAt: new Date().toISOString(),
      };
      if (next.name !== current.name) assertUniqueName(nodes, next.name, id);
      if (next.bmcAddress !== current.bmcAddress || next.bmcPort !== current.bmcPort) {
        assertUniqueBmc(nodes, next.bmcAddress, next.bmcPort, id);
      }
      if (next.mac && next.mac !== current.mac) assertUniqueMac(nodes, next.mac, id);
      return { next: nodes.map((node) => (node.id === id ? next : node)), result: toView(next) };
    });
  }

  /** What Rackboot learned itself (not typed by the operator): the BMC's System GUID, the captured MAC. */
  async recordFacts(id: string, facts: { systemGuid?: string | null; mac?: string }): Promise<NodeView> {
    return this.mutate((nodes) => {
      const current = findNode(nodes, id);
      if (facts.mac && facts.mac !== current.mac) assertUniqueMac(nodes, facts.mac, id);
      const next: StoredNode = { ...current, ...facts, updatedAt: new Date().toISOString() };
      return { next: nodes.map((node) => (node.id === id ? next : node)), result: toView(next) };
    });
  }

  async remove(id: string): Promise<boolean> {
    return this.mutate((nodes) => {
      const next = nodes.filter((node) => node.id !== id);
      return { next, result: next.length !== nodes.length };
    });
  }

  /** Adds every good line of a hardware_info file in one write; bad and duplicate lines come back as problems. */
  async importHardwareInfo(text: string): Promise<ImportResult> {
    const { entries, problems } = parseHardwareInfo(text);
    const added = await this.mutate((nodes) => {
      const now = new Date().toISOString();
      const known = [...nodes];
      const fresh: StoredNode[] = [];
      for (const entry of entries) {
        const clash = known.find(
          (node) => (node.bmcAddress === entry.bmcAddress && node.bmcPort === 623) || node.mac === entry.mac,
        );
        if (clash) {
          problems.push({
            line: entry.line,
            text: `${entry.bmcAddress} ${entry.mac} ${entry.bmcUser} ********`,
            reason: `already enrolled as "${clash.name}" (same ${clash.mac === entry.mac ? 'MAC' : 'BMC address'})`,
          });
          continue;
        }
        const node: StoredNode = {
          id: randomUUID(),
          name: uniqueName(entry.bmcAddress, known),
          bmcAddress: entry.bmcAddress,
          bmcPort: 623,
          bmcUser: entry.bmcUser,
          sealedPassword: this.seal(entry.bmcPassword),
          mac: entry.mac,
          systemGuid: null,
          notes: '',
          createdAt: now,
          updatedAt: now,
        };
        fresh.push(node);
        known.push(node);
      }
      return { next: fresh.length ? known : nodes, result: fresh };
    });
    problems.sort((a, b) => a.line - b.line);
    return { added: added.map(toView), problems };
  }

  exportHardwareInfo(): ExportResult {
    return formatHardwareInfo(this.nodes.map((node) => ({ ...node, bmcPassword: this.open(node.sealedPassword) })));
  }

  /** An empty password is stored as empty, so `hasPassword` can be told without opening anything. */
  private seal(password: string): string {
    return password === '' ? '' : this.secrets.seal(password);
  }

  private open(sealed: string): string {
    return sealed === '' ? '' : this.secrets.open(sealed);
  }

  /**
   * Runs one change at a time against the latest list, persists it, and only then publishes it in memory, so
   * concurrent requests never lose each other's writes and a failed write never leaves memory ahead of the disk.
   */
  private mutate<T>(change: (nodes: StoredNode[]) => { next: StoredNode[]; result: T }): Promise<T> {
    const run = this.writes.then(async () => {
      const { next, result } = change(this.nodes);
      if (next !== this.nodes) {
        const body = { version: 1 as const, secretScheme: this.secrets.scheme, nodes: next };
        await writeFileAtomic(this.file, `${JSON.stringify(body, null, 2)}\n`);
        this.nodes = next;
      }
      return result;
    });
    this.writes = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}

function findNode(nodes: StoredNode[], id: string): StoredNode {
  const node = nodes.find((candidate) => candidate.id === id);
  if (!node) throw new UserFacingError('node-not-found', 'That server is no longer in the inventory; refresh the list.');
  return node;
}

function assertUniqueName(nodes: StoredNode[], name: string, exceptId?: string): void {
  if (nodes.some((node) => node.name === name && node.id !== exceptId)) {
    throw new UserFacingError('duplicate-name', `A server named "${name}" is already enrolled; choose another name.`);
  }
}

function assertUniqueBmc(nodes: StoredNode[], address: string, port: number, exceptId?: string): void {
  const clash = nodes.find((node) => node.bmcAddress === address && node.bmcPort === port && node.id !== exceptId);
  if (clash) throw new UserFacingError('duplicate-bmc', `BMC ${address}:${port} is already enrolled as "${clash.name}".`);
}

function assertUniqueMac(nodes: StoredNode[], mac: string, exceptId?: string): void {
  const clash = nodes.find((node) => node.mac === mac && node.id !== exceptId);
  if (clash) throw new UserFacingError('duplicate-mac', `MAC ${mac} already belongs to "${clash.name}".`);
}

function toView(node: StoredNode): NodeView {
  const { sealedPassword, ...rest } = node;
  return { ...rest, hasPassword: sealedPassword !== '' };
}

function uniqueName(base: string, nodes: StoredNode[]): string {
  let name = base;
  for (let n = 2; nodes.some((node) => node.name === name); n += 1) name = `${base}-${n}`;
  return name;
}
