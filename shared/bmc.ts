import { z } from 'zod';
import { ipv4CidrSchema } from './ipv4';
import { bootDeviceRequestSchema, chassisActionSchema, deviceIdSchema } from './ipmi';
import { bmcAddressSchema, bmcPasswordSchema, bmcUserSchema, portSchema } from './nodes';

export const bmcTestResultSchema = z.object({
  deviceId: deviceIdSchema,
  systemGuid: z.string().nullable(),
  powerOn: z.boolean(),
  cipherSuite: z.union([z.literal(3), z.literal(17)]).nullable(),
});
export type BmcTestResult = z.infer<typeof bmcTestResultSchema>;

export const bmcCredentialsSchema = z.object({
  address: bmcAddressSchema,
  port: portSchema.default(623),
  user: bmcUserSchema,
  password: bmcPasswordSchema,
});

export const powerRequestSchema = z.object({ nodeId: z.string().min(1), action: chassisActionSchema });
/** The IPMI boot-device request, for one enrolled node. */
export const nodeBootDeviceRequestSchema = bootDeviceRequestSchema.extend({ nodeId: z.string().min(1) });

/** A subnet to scan for BMCs: no larger than a /16, as discovery tries every address in it. */
export const discoverySubnetSchema = ipv4CidrSchema({ min: 16, max: 32 }, '10.1.91.0/24');

export const consoleOutputSchema = z.object({ nodeId: z.string(), data: z.string() });
export type ConsoleOutput = z.infer<typeof consoleOutputSchema>;
