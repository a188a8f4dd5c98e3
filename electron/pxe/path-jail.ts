// Maps a name a network client asked for (TFTP filename, HTTP path) to a file inside a served root, and nothing else.
// Shared by the TFTP and HTTP servers so both refuse the same escapes.
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';

export type JailRefusal =
  | 'empty'
  | 'absolute'
  | 'parent-segment'
  | 'backslash'
  | 'control-character'
  | 'outside-root'
  | 'not-found'
  | 'not-a-file';

export type JailResult = { ok: true; path: string; size: number; mtimeMs: number } | { ok: false; refusal: JailRefusal };

/**
 * The lexical half: which requested names are acceptable at all. Pure. Returns the relative segments, or why not.
 * Absolute names are refused rather than re-rooted, so `/etc/passwd` is an error and never a lookup in the root.
 */
export function checkRequestedName(requested: string): { ok: true; segments: string[] } | { ok: false; refusal: JailRefusal } {
  if (requested.length === 0) return { ok: false, refusal: 'empty' };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(requested)) return { ok: false, refusal: 'control-character' };
  if (requested.includes('\\')) return { ok: false, refusal: 'backslash' };
  if (requested.startsWith('/') || /^[A-Za-z]:/.test(requested)) return { ok: false, refusal: 'absolute' };
  const segments = requested.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.some((s) => s === '..')) return { ok: false, refusal: 'parent-segment' };
  if (segments.length === 0) return { ok: false, refusal: 'empty' };
  return { ok: true, segments };
}

/** True when `candidate` is `root` itself or lies below it (both already canonical). */
export function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * Resolves a requested name to a regular file inside `root`, following symlinks only while they stay inside.
 * Never throws for anything a client can send.
 */
export async function resolveInRoot(root: string, requested: string): Promise<JailResult> {
  const lexical = checkRequestedName(requested);
  if (!lexical.ok) return lexical;
  let canonicalRoot: string;
  let canonical: string;
  try {
    canonicalRoot = await realpath(root);
    canonical = await realpath(path.join(canonicalRoot, ...lexical.segments));
  } catch {
    return { ok: false, refusal: 'not-found' };
  }
  if (!isInside(canonicalRoot, canonical)) return { ok: false, refusal: 'outside-root' };
  try {
    const info = await stat(canonical);
    if (!info.isFile()) return { ok: false, refusal: 'not-a-file' };
    return { ok: true, path: canonical, size: info.size, mtimeMs: info.mtimeMs };
  } catch {
    return { ok: false, refusal: 'not-found' };
  }
}
