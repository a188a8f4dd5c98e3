import { expect, it } from 'vitest';
import { matchPattern } from './router';

it('matches a route pattern and decodes its parameters', () => {
  expect(matchPattern('/api/nodes/:mac/log', '/api/nodes/52%3A54%3A00%3A12%3A34%3A56/log')).toEqual({ mac: '52:54:00:12:34:56' });
});

it('does not match a path with a different shape or an empty parameter', () => {
  expect(matchPattern('/api/nodes/:mac', '/api/nodes/x/y')).toBeNull();
  expect(matchPattern('/api/nodes/:mac', '/api/nodes/')).toBeNull();
  expect(matchPattern('/api/jobs', '/api/nodes')).toBeNull();
});
