import { z } from 'zod';
import { cleaningSchema, inventorySchema, rootDeviceHintsSchema, type Inventory } from '../../shared/inventory';
import { nodeInputSchema, withControlCharactersShown, type ImportProblem } from '../../shared/nodes';
import { PASSWORD_PLACEHOLDER } from './hardware-info';

/**
 * Rackboot's own export: JSON Lines, one server per line with everything hardware_info cannot carry — name, notes,
 * disk choice, cleaning and the latest inventory. Line by line like hardware_info, so a problem is reported by its
 * line and a large file can be imported in parts. "Erase this disk" is never exported: that confirmation is given
 * in the wizard for what the disk holds then, not carried by a file to another day or another Rackboot.
 */

/** The name an exported file is offered under. */
export const NODE_LINES_FILE_NAME = 'rackboot-nodes.jsonl';

/** The first field of every line, so a stray JSON file is told apart from an export. */
export const NODE_LINE_FORMAT = 'rackboot-node/1';

const nodeLineSchema = z.object({
  format: z.literal(NODE_LINE_FORMAT),
  name: z.string(),
  bmcAddress: z.string(),
  bmcPort: z.number(),
  bmcUser: z.string(),
  bmcPassword: z.string(),
  mac: z.string().nullable(),
  notes: z.string(),
  rootDeviceHints: rootDeviceHintsSchema.nullable(),
  cleaning: cleaningSchema,
  inspectedAt: z.string().nullable(),
  inventory: inventorySchema.nullable(),
});
type NodeLine = z.infer<typeof nodeLineSchema>;

/** A node as the export writes it; `bmcPassword` absent when the export leaves passwords out. */
export interface ExportableNode {
  name: string;
  bmcAddress: string;
  bmcPort: number;
  bmcUser: string;
  bmcPassword?: string;
  mac: string | null;
  notes: string;
  rootDeviceHints: NodeLine['rootDeviceHints'];
  cleaning: NodeLine['cleaning'];
  inspectedAt: string | null;
}

export function formatNodeLine(node: ExportableNode, inventory: Inventory | null): string {
  const line: NodeLine = {
    format: NODE_LINE_FORMAT,
    name: node.name,
    bmcAddress: node.bmcAddress,
    bmcPort: node.bmcPort,
    bmcUser: node.bmcUser,
    bmcPassword: node.bmcPassword ?? PASSWORD_PLACEHOLDER,
    mac: node.mac,
    notes: node.notes,
    rootDeviceHints: node.rootDeviceHints,
    cleaning: node.cleaning,
    inspectedAt: inventory ? node.inspectedAt : null,
    inventory,
  };
  return `${JSON.stringify(line)}\n`;
}

/** A server of an export, ready to enrol, with its inventory to restore. */
export interface NodeLineEntry {
  line: number;
  input: z.output<typeof nodeInputSchema>;
  inspectedAt: string | null;
  inventory: Inventory | null;
}

const QUOTED_LENGTH = 60;
/** A line that is not JSON is not quoted at all: any part of it may be a password. */
const NOT_QUOTED = '(not shown: it may hold a password)';

function quoted(text: string): string {
  const visible = withControlCharactersShown(text);
  return visible.length > QUOTED_LENGTH ? `${visible.slice(0, QUOTED_LENGTH)}…` : visible;
}

/** A zod issue as a sentence naming the field: "inventory.disks.0.sizeBytes: Too small…". */
function issueText(error: z.ZodError): string {
  const issue = error.issues[0]!;
  return issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message;
}

/**
 * One line of an export: a server, a problem, or nothing (a blank line). A report quotes a line by its name and BMC
 * address only, never the rest, which holds a password.
 */
export function parseNodeLine(raw: string, line: number): NodeLineEntry | ImportProblem | null {
  if (raw.trim() === '') return null;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { line, text: NOT_QUOTED, reason: 'not a line of a Rackboot export (not JSON): export again from Rackboot, or import hardware_info lines instead' };
  }
  const parsed = nodeLineSchema.safeParse(json);
  const shown = (value: unknown): string => (typeof value === 'string' ? quoted(value) : '?');
  const fields = typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {};
  const text = `${shown(fields.name)} (BMC ${shown(fields.bmcAddress)})`;
  if (!parsed.success) {
    if (fields.format !== NODE_LINE_FORMAT) return { line, text, reason: `not a line of a Rackboot export (its format is not ${NODE_LINE_FORMAT})` };
    return { line, text, reason: issueText(parsed.error) };
  }
  if (parsed.data.bmcPassword === PASSWORD_PLACEHOLDER) {
    return { line, text, reason: `the password is the ${PASSWORD_PLACEHOLDER} an export without passwords writes: put the BMC's password in its place` };
  }
  const { format: _format, inspectedAt, inventory, ...fieldsToEnrol } = parsed.data;
  const input = nodeInputSchema.safeParse({ ...fieldsToEnrol, eraseTargetDisk: false });
  if (!input.success) return { line, text, reason: issueText(input.error) };
  return { line, input: input.data, inspectedAt: inventory ? inspectedAt ?? inventory.collectedAt : null, inventory };
}

/** What the import reports for an entry it refuses after parsing (already enrolled). */
export function reportedNodeLine(entry: NodeLineEntry): string {
  return `${quoted(entry.input.name)} (BMC ${entry.input.bmcAddress})`;
}
