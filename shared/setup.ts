import { z } from 'zod';

/** What a deploy needs, in the order a technician sets it up. */
export const SETUP_NEEDS = ['wired-nic', 'provisioning-address', 'boot-services', 'image', 'working-bmc'] as const;
export const setupNeedSchema = z.enum(SETUP_NEEDS);
export type SetupNeed = z.infer<typeof setupNeedSchema>;

/** One line of the first-run screen: met or not, and in plain words what is there or what to do. */
export const setupCheckSchema = z.object({
  need: setupNeedSchema,
  ok: z.boolean(),
  title: z.string(),
  detail: z.string(),
});
export type SetupCheck = z.infer<typeof setupCheckSchema>;

export const setupReportSchema = z.object({
  ready: z.boolean(),
  /** No server and no image yet: the wizard opens with this screen. */
  empty: z.boolean(),
  checks: z.array(setupCheckSchema),
});
export type SetupReport = z.infer<typeof setupReportSchema>;

/** Files the desktop app's open dialog is asked for; each purpose has its own title and filters. */
export const filePurposeSchema = z.enum(['image', 'kernel', 'initrd', 'modules', 'busybox']);
export type FilePurpose = z.infer<typeof filePurposeSchema>;
