import { wsRequestSchema, type CallError, type WsMessage, type WsRequest } from '../../shared/api';

/** A WebSocket message read as a request, or the reply that tells the client why it is not one. */
export type ReadRequest = { ok: true; request: WsRequest } | { ok: false; reply: WsMessage };

const SHAPE = 'A request is a JSON object {"id": integer, "method": "name", "input": {…}} sent as a text message';

function malformed(message: string): CallError {
  return { code: 'malformed-request', message };
}

/**
 * Reads one message from a client. Anything that is not a request gets an error reply rather than a crash or a
 * closed connection: when the message carries a usable id the reply is that call's failed result, otherwise a
 * standalone error. JSON.parse keeps `__proto__` as an own key and the schema copies only `id`, `method` and `input`,
 * so prototype keys reach nothing; the method input is validated later by the dispatcher against its own schema.
 */
export function readWsRequest(text: string | null): ReadRequest {
  if (text === null) return { ok: false, reply: { kind: 'error', error: malformed(`${SHAPE}; this was a binary message.`) } };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reply: { kind: 'error', error: malformed(`${SHAPE}; this message is not JSON.`) } };
  }
  const parsed = wsRequestSchema.safeParse(value);
  if (parsed.success) return { ok: true, request: parsed.data };
  const problems = parsed.error.issues.map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message)).join('; ');
  const error = malformed(`${SHAPE}; ${problems}.`);
  const id = typeof value === 'object' && value !== null && Object.hasOwn(value, 'id') ? (value as { id: unknown }).id : undefined;
  return { ok: false, reply: Number.isSafeInteger(id) ? { kind: 'result', id: id as number, ok: false, error } : { kind: 'error', error } };
}
