import { z } from 'zod';
import {
  exportRequestSchema,
  exportResultSchema,
  hardwareInfoTextSchema,
  importResultSchema,
  nodeDeltaSchema,
  nodeInputSchema,
  nodeLinesPartSchema,
  nodeUpdateSchema,
  nodeViewSchema,
} from './nodes';
import {
  bootModeSchema,
  deployRecordSchema,
  deploySettingsSchema,
  builtinRamdiskStatusSchema,
  imageSchema,
  matchedBySchema,
  servicesConfigSchema,
  servicesStatusSchema,
  transferProgressSchema,
} from './deploy';
import { captureBoundEventSchema } from './pxe';
import { nodeInventorySchema } from './inventory';
import { laptopSshKeySchema } from './instance';
import { idSchema } from './ids';
import {
  bmcCredentialsSchema,
  bmcTestResultSchema,
  nodeBootDeviceRequestSchema,
  discoveredBmcSchema,
  discoverRequestSchema,
  consoleOutputSchema,
  powerRequestSchema,
} from './bmc';
import { filePurposeSchema, setupReportSchema } from './setup';
import { uploadIdSchema } from './uploads';
import {
  ironicEnrollRequestSchema,
  ironicEnrollResultSchema,
  ironicExportRequestSchema,
  ironicImportRequestSchema,
  ironicImportResultSchema,
  ironicNodeProgressSchema,
} from './ironic';
import { discoveryProgressSchema } from './ipmi';
import {
  networkApplyResultSchema,
  networkInterfaceSchema,
  networkPlanInputSchema,
  networkPlanSchema,
  networkProgressSchema,
  pendingNetworkChangeSchema,
} from './network';

/**
 * The one contract between the renderer and the core. Every request method and every pushed event is declared here
 * once, with the schema the core validates against; the Electron IPC adapter, the headless WebSocket server and the
 * renderer's client are all typed from this table, so a wrong name or payload is a compile error.
 */
export const methods = {
  'app.info': {
    input: z.object({}),
    output: z.object({ version: z.string(), shell: z.enum(['electron', 'headless']), dataDir: z.string() }),
  },
  'nodes.list': { input: z.object({}), output: z.array(nodeViewSchema) },
  'nodes.add': { input: nodeInputSchema, output: nodeViewSchema },
  'nodes.update': { input: nodeUpdateSchema, output: nodeViewSchema },
  'nodes.remove': { input: z.object({ id: z.string().min(1) }), output: z.object({ removed: z.boolean() }) },
  'nodes.importHardwareInfo': { input: z.object({ text: hardwareInfoTextSchema }), output: importResultSchema },
  /** Rackboot's own export (`format: 'rackboot-nodes'`) back in, a part of whole lines at a time; inventories come along. */
  'nodes.importNodeLines': { input: nodeLinesPartSchema, output: importResultSchema },
  /** Writes the file where the shell lets the operator put it; the answer never holds a password. */
  'nodes.exportHardwareInfo': { input: exportRequestSchema, output: exportResultSchema },
  /** The node's latest inventory and what changed since the inspection before; null until it is first inspected. */
  'nodes.inventory': { input: z.object({ id: idSchema }), output: nodeInventorySchema.nullable() },
  /**
   * Boots the node into the agent to collect its inventory and powers it off again, writing nothing; answers once it
   * started. Progress comes as `deploy.changed` and `log` events, as a deploy's; the result lands in `nodes.inventory`
   * and in the node's `inspectedAt`.
   */
  'nodes.inspect': { input: z.object({ id: idSchema }), output: z.object({ started: z.literal(true) }) },
  /** The laptop's SSH public keys (`~/.ssh/*.pub`), for a node's instance settings. */
  'instance.sshKeys': { input: z.object({}), output: z.array(laptopSshKeySchema) },
  'images.list': { input: z.object({}), output: z.array(imageSchema) },
  'images.add': {
    input: z.object({
      path: z.string().min(1, 'the image file path is required'),
      name: z.string().max(128).optional(),
      bootMode: bootModeSchema,
      /** A sha256 in hex, or the text of a SHA256SUMS file: the image is refused when its sha256 differs. */
      checksum: z.string().max(1_000_000).optional(),
    }),
    output: imageSchema,
  },
  /** An image the browser uploaded (headless mode): the core knows where the upload put it; the page never names a path. */
  'images.addUpload': {
    input: z.object({ uploadId: uploadIdSchema, name: z.string().max(128).optional(), bootMode: bootModeSchema }),
    output: imageSchema,
  },
  /** The desktop app's open dialog; null when the operator cancels. Headless mode answers that the page should upload. */
  'files.pick': { input: z.object({ purpose: filePurposeSchema }), output: z.object({ path: z.string().nullable() }) },
  /** What a deploy still needs (the first-run screen and "Check setup"), from what the services know now. */
  'setup.check': { input: z.object({}), output: setupReportSchema },
  'images.remove': { input: z.object({ id: z.string().min(1) }), output: z.object({ removed: z.boolean() }) },
  'bmc.test': { input: z.object({ nodeId: z.string().min(1) }), output: bmcTestResultSchema },
  'bmc.testCredentials': { input: bmcCredentialsSchema, output: bmcTestResultSchema },
  'bmc.power': { input: powerRequestSchema, output: z.object({ powerOn: z.boolean() }) },
  'bmc.powerState': { input: z.object({ nodeId: z.string().min(1) }), output: z.object({ powerOn: z.boolean() }) },
  'bmc.setBootDevice': { input: nodeBootDeviceRequestSchema, output: z.object({}) },
  'bmc.discover': {
    input: discoverRequestSchema,
    output: z.array(discoveredBmcSchema),
  },
  'console.open': { input: z.object({ nodeId: z.string().min(1) }), output: z.object({}) },
  'console.input': { input: z.object({ nodeId: z.string().min(1), data: z.string().max(4096) }), output: z.object({}) },
  'console.close': { input: z.object({ nodeId: z.string().min(1) }), output: z.object({}) },
  'network.interfaces': { input: z.object({}), output: z.array(networkInterfaceSchema) },
  'network.plan': { input: networkPlanInputSchema, output: networkPlanSchema },
  'network.apply': { input: z.object({ planId: z.string().min(1) }), output: networkApplyResultSchema },
  'network.undo': { input: z.object({}), output: z.object({ restored: z.boolean() }) },
  'network.pendingChange': { input: z.object({}), output: pendingNetworkChangeSchema.nullable() },
  'services.status': { input: z.object({}), output: servicesStatusSchema },
  'services.start': { input: servicesConfigSchema, output: servicesStatusSchema },
  'services.stop': { input: z.object({}), output: servicesStatusSchema },
  'deploy.getSettings': { input: z.object({}), output: deploySettingsSchema },
  'deploy.setSettings': { input: deploySettingsSchema, output: deploySettingsSchema },
  /** What the built-in deploy ramdisk holds (the default), or why it is missing. */
  'deploy.builtinRamdisk': { input: z.object({}), output: builtinRamdiskStatusSchema },
  'deploy.start': {
    input: z.object({ nodeIds: z.array(idSchema).min(1, 'select at least one server'), imageId: z.string().min(1, 'choose an image') }),
    output: z.array(deployRecordSchema),
  },
  'deploy.cancel': { input: z.object({ nodeId: idSchema }), output: z.object({}) },
  'deploy.list': { input: z.object({}), output: z.array(deployRecordSchema) },
  'deploy.log': {
    input: z.object({ nodeId: idSchema }),
    output: z.array(z.object({ time: z.string(), level: z.enum(['debug', 'info', 'warn', 'error']), source: z.string(), message: z.string() })),
  },
  'capture.start': {
    /** bootMode sets the IPMI boot flag's BIOS/UEFI bit for this power-on (UEFI-only servers ignore a legacy request). */
    input: z.object({ nodeId: idSchema, bootMode: bootModeSchema.default('bios') }),
    output: z.object({ mac: z.string(), matchedBy: matchedBySchema }),
  },
  /** The chosen servers as a `baremetal create` file, delivered like the hardware_info export. */
  'ironic.export': { input: ironicExportRequestSchema, output: exportResultSchema },
  /** Creates or updates the servers in a running Ironic and has it check each BMC; `ironic.progress` follows each one. */
  'ironic.enroll': { input: ironicEnrollRequestSchema, output: ironicEnrollResultSchema },
  'ironic.import': { input: ironicImportRequestSchema, output: ironicImportResultSchema },
  /** Benchmarks only (headless server started with RACKBOOT_BENCH=1): numbered `log` lines at a fixed rate. */
  'diagnostics.floodLog': {
    input: z.object({ linesPerSecond: z.number().int().min(1).max(100_000), seconds: z.number().positive().max(60) }),
    output: z.object({ sent: z.number().int() }),
  },
} as const;

export const events = {
  'deploy.changed': deployRecordSchema,
  'transfer.progress': transferProgressSchema,
  'capture.bound': captureBoundEventSchema,
  'power.changed': z.object({ nodeId: z.string(), powerOn: z.boolean() }),
  'bmc.discovery': discoveryProgressSchema.extend({ cidr: z.string() }),
  'console.output': consoleOutputSchema,
  'console.closed': z.object({ nodeId: z.string() }),
  'nodes.changed': nodeDeltaSchema,
  'images.changed': z.array(imageSchema),
  /** Checksumming an image being added: file bytes read so far. */
  'images.progress': z.object({ path: z.string(), read: z.number(), total: z.number() }),
  'network.progress': networkProgressSchema,
  'ironic.progress': ironicNodeProgressSchema,
  log: z.object({
    time: z.string(),
    level: z.enum(['debug', 'info', 'warn', 'error']),
    source: z.string(),
    message: z.string(),
    nodeId: z.string().optional(),
  }),
} as const;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type MethodInput<M extends MethodName> = z.input<Methods[M]['input']>;
export type MethodOutput<M extends MethodName> = z.output<Methods[M]['output']>;
export type ParsedInput<M extends MethodName> = z.output<Methods[M]['input']>;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = z.output<Events[E]>;
export type LogEvent = EventPayload<'log'>;

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(methods, name);
}

/** What a failed call carries across any transport: a message written for the technician, and a stable code. */
export const callErrorSchema = z.object({ code: z.string(), message: z.string() });
export type CallError = z.infer<typeof callErrorSchema>;

/** The client side of the contract, implemented over Electron IPC and over WebSocket. */
export interface RackbootClient {
  call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

/** Wire messages of the WebSocket transport (headless mode). */
export const wsRequestSchema = z.object({ id: z.number().int(), method: z.string(), input: z.unknown() });
export type WsRequest = z.infer<typeof wsRequestSchema>;
export interface WsEvent {
  event: EventName;
  payload: unknown;
}
/** Events raised in the same turn of the core's event loop travel together, in the order they were raised. */
export type WsMessage =
  | { kind: 'result'; id: number; ok: true; output: unknown }
  | { kind: 'result'; id: number; ok: false; error: CallError }
  | { kind: 'events'; events: WsEvent[] }
  /** The server could not read a message as a request (not JSON, no usable id, …), so no call's result can carry it. */
  | { kind: 'error'; error: CallError };

/** The Electron IPC channels: one for calls, one for pushed events. */
export const IPC_CALL_CHANNEL = 'rackboot:call';
export const IPC_EVENT_CHANNEL = 'rackboot:event';

/** What the preload exposes on `window.rackboot`. */
export interface PreloadBridge {
  call(method: string, input: unknown): Promise<{ ok: true; output: unknown } | { ok: false; error: CallError }>;
  subscribe(listener: (event: string, payload: unknown) => void): () => void;
  /** Where a file dropped on the window lives on this machine (the sandboxed page cannot see it). */
  pathForFile(file: File): string;
}
