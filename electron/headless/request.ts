import { wsRequestSchema, type CallError, type WsMessage, type WsRequest } from '../../shared/api';

/** A WebSocket message read as a request, or the reply that tells the client why it is not one. */
export type ReadRequest = { ok: true; request: WsRequest } | { ok: false; reply: WsMessage };

const SHAPE = 'A request is a JSON object {"id": integer, "method": "name", "input": {…}} sent as a text message';

function malformed(message: string): CallError {
  return { code: 'malformed-request', message };
}

/** Keys that reach an object's prototype when code copies or merges them; no request of ours has a use for them. */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** The first prototype key anywhere in a parsed message, walked without recursion (a message may nest 100,000 deep). */
function findPrototypeKey(value: unknown): string | null {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next !== 'object' || next === null) continue;
    if (Array.isArray(next)) {
      // One push per item: spreading a message's million-item array into push() would overflow the stack.
      for (const item of next as unknown[]) pending.push(item);
      continue;
    }
    for (const [key, child] of Object.entries(next)) {
      if (PROTOTYPE_KEYS.has(key)) return key;
      pending.push(child);
    }
  }
  return null;
}

function usableId(value: unknown): number | null {
  const id = typeof value === 'object' && value !== null && Object.hasOwn(value, 'id') ? (value as { id: unknown }).id : undefined;
  return typeof id === 'number' && Number.isSafeInteger(id) ? id : null;
}

function refusal(value: unknown, error: CallError): ReadRequest {
  const id = usableId(value);
  return { ok: false, reply: id === null ? { kind: 'error', error } : { kind: 'result', id, ok: false, error } };
}

/**
 * Reads one message from a client. Anything that is not a request gets an error reply rather than a crash or a
 * closed connection: when the message carries a usable id the reply is that call's failed result, otherwise a
 * standalone error. A message with a prototype key (`__proto__`, `constructor`, `prototype`) anywhere is refused
 * whole, so no such key reaches code that might merge it; the method input is validated later by the dispatcher.
 */
export function readWsRequest(text: string | null): ReadRequest {
  if (text === null) return { ok: false, reply: { kind: 'error', error: malformed(`${SHAPE}; this was a binary message.`) } };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reply: { kind: 'error', error: malformed(`${SHAPE}; this message is not JSON.`) } };
  }
  const prototypeKey = findPrototypeKey(value);
  if (prototypeKey !== null) return refusal(value, malformed(`A request may not contain the key "${prototypeKey}"; this one was refused whole.`));
  const parsed = wsRequestSchema.safeParse(value);
  if (parsed.success) return { ok: true, request: parsed.data };
  const problems = parsed.error.issues.map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message)).join('; ');
  return refusal(value, malformed(`${SHAPE}; ${problems}.`));
}
