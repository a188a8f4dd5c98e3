import type { z } from 'zod';
import {
  isMethodName,
  methods,
  type CallError,
  type MethodInput,
  type MethodName,
  type MethodOutput,
  type ParsedInput,
} from '../../shared/api';
import { toCallError } from './errors';

export type Handlers = { [M in MethodName]: (input: ParsedInput<M>) => Promise<MethodOutput<M>> };

export type DispatchResult = { ok: true; output: unknown } | { ok: false; error: CallError };

/** The result of a call whose method the compiler knows: the output has the contract's type. */
export type CallResult<M extends MethodName> = { ok: true; output: MethodOutput<M> } | { ok: false; error: CallError };

/**
 * A method name as a transport received it: `unknown` or `string`, never a literal. A literal name goes through the
 * typed overload of `call`, so a misspelt one does not compile instead of falling through to this one.
 */
export type UncheckedMethod<T> = unknown extends T ? T : string extends T ? T : never;

/** How every shell calls the core; the dispatcher checks name and payload at run time either way. */
export interface CallCore {
  /** From code (the CLI, tests): method, payload and output typed by the contract, as the renderer's client is. */
  <M extends MethodName>(method: M, input: MethodInput<M>): Promise<CallResult<M>>;
  /** From a transport (IPC, WebSocket): name and payload as they arrived. */
  <T>(method: T & UncheckedMethod<T>, input: unknown): Promise<DispatchResult>;
}

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

/** The core's `call` over these handlers. */
export function callThrough(handlers: Handlers): CallCore {
  function call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<CallResult<M>>;
  function call<T>(method: T & UncheckedMethod<T>, input: unknown): Promise<DispatchResult>;
  function call(method: unknown, input: unknown): Promise<DispatchResult> {
    return dispatch(handlers, method, input);
  }
  return call;
}
