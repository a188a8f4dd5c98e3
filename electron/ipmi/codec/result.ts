/**
 * Decoders never throw on hostile bytes: they return either the value or the reason the bytes were refused.
 * Callers branch on `ok`; the reason is for logs and tests, never shown with secrets in it.
 */
export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

export function accept<T>(value: T): Decoded<T> {
  return { ok: true, value };
}

export function refuse<T = never>(reason: string): Decoded<T> {
  return { ok: false, reason };
}
