import type { z } from 'zod';
import {
  isMethodName,
  methods,
  type CallError,
  type MethodName,
  type MethodOutput,
  type ParsedInput,
} from '../../shared/api';
import { toCallError } from './errors';

export type Handlers = { [M in MethodName]: (input: ParsedInput<M>) => Promise<MethodOutput<M>> };

export type DispatchResult = { ok: true; output: unknown } | { ok: false; error: CallError };

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message)).join('; ');
}

/**
 * The single entry from any shell: checks the method name and validates the payload against the shared schema
 * before a handler sees it, so no transport can smuggle an unchecked value into the core.
 */
export async function dispatch(handlers: Handlers, method: unknown, input: unknown): Promise<DispatchResult> {
  if (!isMethodName(method)) {
    return { ok: false, error: { code: 'unknown-method', message: `Unknown request ${String(method)}.` } };
  }
  const parsed = methods[method].input.safeParse(input ?? {});
  if (!parsed.success) {
    return { ok: false, error: { code: 'invalid-input', message: describeIssues(parsed.error) } };
  }
  try {
    const handler = handlers[method] as (input: unknown) => Promise<unknown>;
    const output = await handler(parsed.data);
    return { ok: true, output };
  } catch (error) {
    return { ok: false, error: toCallError(error) };
  }
}
