import { z } from 'zod';

/** The URL path of the headless server's upload endpoint (browser mode: the page cannot read a laptop path). */
export const UPLOAD_PATH = '/upload';

/** Bytes of one PUT the wizard sends: a cut-off upload loses at most this much in flight. */
export const UPLOAD_CHUNK_BYTES = 8 * 1024 * 1024;

/** Why a file name is refused, or null. Names are only names: a path, a climb or a control character is refused. */
export function uploadNameProblem(name: string): string | null {
  if (name.trim() === '') return 'the file name is empty';
  if (new TextEncoder().encode(name).length > 200) return 'the file name is longer than 200 bytes: rename the file';
  if (/[/\\]/.test(name)) return 'a file name, not a path, is expected (no / or \\)';
  if (name === '.' || name === '..' || name.startsWith('.')) return 'the file name cannot start with a dot';
  if ([...name].some((char) => char.charCodeAt(0) < 32 || char.charCodeAt(0) === 127)) return 'the file name holds control characters';
  if (/[<>:"|?*]/.test(name)) return 'the file name holds one of < > : " | ? *: rename the file';
  return null;
}

export const uploadNameSchema = z.string().superRefine((name, context) => {
  const problem = uploadNameProblem(name);
  if (problem) context.addIssue({ code: 'custom', message: problem });
});

export const sha256HexSchema = z
  .string()
  .trim()
  .transform((value) => value.toLowerCase())
  .pipe(z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 checksum is 64 hexadecimal digits'));

export const uploadIdSchema = z.string().regex(/^[0-9a-f]{32}$/, 'not an upload id');

/** What the page says about a file it starts to upload; a second start of the same file continues the first. */
export const uploadStartSchema = z.object({
  name: uploadNameSchema,
  size: z.number().int().min(1, 'the file is empty').max(Number.MAX_SAFE_INTEGER),
  /** The file's modification time on the laptop: with the name and size, what tells "the same file" on a resume. */
  lastModified: z.number().int().min(0).default(0),
  /** The checksum the operator expects; a file that arrives with another one is refused and removed. */
  sha256: sha256HexSchema.optional(),
});
export type UploadStart = z.input<typeof uploadStartSchema>;

/** What the core holds of an upload. `path` and `sha256` are set once all bytes have arrived and were accepted. */
export const uploadStatusSchema = z.object({
  id: uploadIdSchema,
  name: z.string(),
  size: z.number().int(),
  received: z.number().int(),
  complete: z.boolean(),
  sha256: z.string().nullable(),
  path: z.string().nullable(),
});
export type UploadStatus = z.infer<typeof uploadStatusSchema>;

/** The `Content-Range` of a PUT: `bytes START-END/TOTAL`, END inclusive. Null when malformed. */
export function parseContentRange(header: string | undefined): { start: number; end: number; total: number } | null {
  const match = /^bytes (\d{1,16})-(\d{1,16})\/(\d{1,16})$/.exec(header?.trim() ?? '');
  if (!match) return null;
  const [start, end, total] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (end < start || end >= total || !Number.isSafeInteger(total)) return null;
  return { start, end, total };
}
