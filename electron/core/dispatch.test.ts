import { describe, expect, expectTypeOf, it } from 'vitest';
import { methods, type MethodName } from '../../shared/api';
import { callThrough, type CallCore, type CallResult, type DispatchResult, type Handlers } from './dispatch';

/** Every method answers with what it was given, so a test sees which payload reached the handler. */
function echoHandlers(): Handlers {
  const entries = (Object.keys(methods) as MethodName[]).map((name) => [name, async (input: unknown) => ({ method: name, input })]);
  return Object.fromEntries(entries) as Handlers;
}

/** Checked by `tsc` (the typecheck step), never run: each `@ts-expect-error` fails the build if the line compiles. */
export function callIsTypedFromTheContract(call: CallCore): void {
  // @ts-expect-error a misspelt method name does not compile
  void call('nodes.lst', {});
  // @ts-expect-error nor does a payload the contract does not allow
  void call('nodes.remove', { id: 42 });
  expectTypeOf(call('nodes.remove', { id: 'n1' })).resolves.toEqualTypeOf<CallResult<'nodes.remove'>>();
  // A transport's name arrives as a string or unknown; the dispatcher checks it at run time.
  expectTypeOf(call('nodes.list' as string, {})).resolves.toEqualTypeOf<DispatchResult>();
  expectTypeOf(call(undefined as unknown, undefined)).resolves.toEqualTypeOf<DispatchResult>();
}

describe('the core call', () => {
  it('hands a typed call to its handler with the payload the schema parsed', async () => {
    const call = callThrough(echoHandlers());
    expect(await call('bmc.discover', { cidr: '192.0.2.0/30' })).toEqual({
      ok: true,
      output: { method: 'bmc.discover', input: { cidr: '192.0.2.0/30', port: 623, redfishPort: 443 } },
    });
  });

  it('refuses a name from a transport that is no method of the contract', async () => {
    const call = callThrough(echoHandlers());
    expect(await call('nodes.lst' as string, {})).toEqual({ ok: false, error: { code: 'unknown-method', message: 'Unknown request nodes.lst.' } });
  });
});
