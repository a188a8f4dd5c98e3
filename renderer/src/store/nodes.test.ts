import { describe, expect, it } from 'vitest';
import type { EventName, EventPayload, MethodName, RackbootClient } from '../../../shared/api';
import type { NodeDelta, NodeView } from '../../../shared/nodes';
import { applyNodeDelta, followNodes, useNodes } from './nodes';

function node(id: string, notes = ''): NodeView {
  return {
    id,
    name: id,
    bmcAddress: '10.0.0.1',
    bmcPort: 623,
    bmcUser: 'root',
    mac: null,
    notes,
    instance: null,
    systemGuid: null,
    inspectedAt: null,
    rootDeviceHints: null,
    eraseTargetDisk: false,
    cleaning: 'none',
    bmcProtocol: 'auto',
    redfishPort: 443,
    redfishSystemId: null,
    tlsTrust: null,
    bmcProtocolSeen: null,
    hasPassword: true,
    createdAt: '',
    updatedAt: '',
  };
}

describe('applying a node delta', () => {
  it('changes nodes in place, adds at the end and drops the removed', () => {
    const next = applyNodeDelta([node('a'), node('b'), node('c')], { added: [node('d')], changed: [node('b', 'new')], removed: ['a'] });
    expect(next).toEqual([node('b', 'new'), node('c'), node('d')]);
  });

  it('changes nothing when the list already reflects the delta', () => {
    const list = [node('a'), node('b')];
    expect(applyNodeDelta(list, { added: [node('b')], changed: [], removed: ['x'] })).toEqual(list);
  });

  it('touches each of 10,000 nodes once to add one (a pass, not a search per node)', () => {
    const list = Array.from({ length: 10_000 }, (_, i) => node(`n${i}`));
    let reads = 0;
    const counted = list.map((entry) => new Proxy(entry, { get: (target, key) => ((reads += key === 'id' ? 1 : 0), Reflect.get(target, key)) }));
    const next = applyNodeDelta(counted, { added: [node('new')], changed: [], removed: [] });
    expect(next).toHaveLength(10_001);
    expect(reads).toBeLessThanOrEqual(3 * 10_000);
  });
});

/** A client whose `nodes.list` answers when the test says, and whose events the test raises. */
function fakeClient(lists: NodeView[][]) {
  const listeners = new Set<(delta: NodeDelta) => void>();
  const answers: (() => void)[] = [];
  const client: RackbootClient = {
    call: ((method: MethodName) => {
      if (method !== 'nodes.list') throw new Error(`unexpected ${method}`);
      const list = lists.shift()!;
      return new Promise<NodeView[]>((resolve) => answers.push(() => resolve(list)));
    }) as RackbootClient['call'],
    on: (<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void) => {
      if (event === 'nodes.changed') listeners.add(listener as (delta: NodeDelta) => void);
      return () => undefined;
    }) as RackbootClient['on'],
  };
  return {
    client,
    raise: (delta: NodeDelta) => listeners.forEach((listener) => listener(delta)),
    answerList: async () => {
      answers.shift()!();
      await new Promise((resolve) => setTimeout(resolve, 0));
    },
    pendingLists: () => answers.length,
  };
}

describe('following the inventory', () => {
  it('replays the deltas heard while the list loads, and reloads when a delta was missed', async () => {
    useNodes.setState({ nodes: [], loaded: false, loadError: null });
    const fake = fakeClient([[node('a')], [node('a'), node('b'), node('c')]]);
    const stop = followNodes(fake.client);
    fake.raise({ revision: 4, added: [node('a')], changed: [], removed: [] });
    fake.raise({ revision: 5, added: [node('b')], changed: [], removed: [] });
    await fake.answerList();
    expect(useNodes.getState().nodes.map((entry) => entry.id)).toEqual(['a', 'b']);
    fake.raise({ revision: 6, added: [], changed: [node('a', 'x')], removed: [] });
    expect(useNodes.getState().nodes[0]!.notes).toBe('x');
    expect(fake.pendingLists()).toBe(0);
    fake.raise({ revision: 8, added: [node('c')], changed: [], removed: [] });
    expect(fake.pendingLists()).toBe(1);
    await fake.answerList();
    expect(useNodes.getState().nodes.map((entry) => entry.id)).toEqual(['a', 'b', 'c']);
    stop();
  });
});
