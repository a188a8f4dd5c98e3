import { describe, expect, it } from 'vitest';
import { readWsRequest } from './request';

describe('reading a WebSocket message as a request', () => {
  it('reads a request and keeps its input for the dispatcher to validate', () => {
    expect(readWsRequest('{"id":4,"method":"nodes.remove","input":{"id":7}}')).toEqual({ ok: true, request: { id: 4, method: 'nodes.remove', input: { id: 7 } } });
  });

  it('refuses a prototype key nested 100,000 deep without overflowing the stack', () => {
    const depth = 100_000;
    const text = `{"id":1,"method":"app.info","input":${'['.repeat(depth)}{"constructor":1}${']'.repeat(depth)}}`;
    expect(readWsRequest(text)).toMatchObject({ ok: false, reply: { kind: 'result', id: 1, error: { message: expect.stringContaining('"constructor"') } } });
  });

  it('walks an array of a million items', () => {
    const text = `{"id":2,"method":"app.info","input":{"items":[${Array(1_000_000).fill('0').join(',')}]}}`;
    expect(readWsRequest(text)).toMatchObject({ ok: true, request: { id: 2 } });
  });

  it('answers a message without a usable id with a standalone error', () => {
    expect(readWsRequest('{"id":9007199254740993,"method":"app.info"}')).toMatchObject({ ok: false, reply: { kind: 'error', error: { code: 'malformed-request' } } });
  });
});
