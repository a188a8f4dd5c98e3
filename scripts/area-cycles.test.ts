import { describe, expect, it } from 'vitest';
import { areaEdges, areaOf, edgeKey, findCycles, judge, parseAllowList, type FileImport } from './area-cycles';

const imports = (...pairs: [string, string][]): FileImport[] => pairs.map(([from, to]) => ({ from, to }));
const cycleKeys = (fileImports: FileImport[]): string[] => findCycles(areaEdges(fileImports)).cycleEdges.map(edgeKey);

describe('areas of electron/', () => {
  it('names a file by its top-level folder, and the files beside the folders "shell"', () => {
    expect(areaOf('pxe/tftp/server.ts')).toBe('pxe');
    expect(areaOf('main.ts')).toBe('shell');
  });

  it('makes one edge per pair of different areas, keeping the first import as its example', () => {
    const edges = areaEdges(imports(['pxe/b.ts', 'deploy/x.ts'], ['pxe/a.ts', 'deploy/y.ts'], ['pxe/a.ts', 'pxe/c.ts']));
    expect(edges).toEqual([{ from: 'pxe', to: 'deploy', example: { from: 'pxe/a.ts', to: 'deploy/y.ts' } }]);
  });
});

describe('import cycle detector', () => {
  it('finds no cycle in layers that import downwards only', () => {
    expect(cycleKeys(imports(['main.ts', 'core/core.ts'], ['core/core.ts', 'deploy/d.ts'], ['deploy/d.ts', 'pxe/p.ts'], ['core/core.ts', 'pxe/p.ts']))).toEqual([]);
  });

  it('finds two areas that import each other', () => {
    const report = findCycles(areaEdges(imports(['core/core.ts', 'deploy/d.ts'], ['deploy/d.ts', 'core/errors.ts'])));
    expect(report.cycles).toEqual([['core', 'deploy']]);
    expect(report.cycleEdges.map(edgeKey)).toEqual(['core -> deploy', 'deploy -> core']);
  });

  it('finds a cycle through three areas and leaves out the edges that lie on none', () => {
    const keys = cycleKeys(
      imports(['pxe/p.ts', 'network/n.ts'], ['network/n.ts', 'deploy/d.ts'], ['deploy/d.ts', 'pxe/p.ts'], ['main.ts', 'pxe/p.ts'], ['pxe/p.ts', 'native/a.ts']),
    );
    expect(keys).toEqual(['deploy -> pxe', 'network -> deploy', 'pxe -> network']);
  });

  it('keeps two separate cycles apart', () => {
    const report = findCycles(areaEdges(imports(['a/1.ts', 'b/1.ts'], ['b/1.ts', 'a/1.ts'], ['c/1.ts', 'd/1.ts'], ['d/1.ts', 'c/1.ts'], ['b/1.ts', 'c/1.ts'])));
    expect(report.cycles).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    expect(report.cycleEdges.map(edgeKey)).not.toContain('b -> c');
  });
});

describe('allow-list of known cycle edges', () => {
  const report = findCycles(areaEdges(imports(['core/c.ts', 'deploy/d.ts'], ['deploy/d.ts', 'core/e.ts'])));

  it('passes when every cycle edge is listed and every listed edge is on a cycle', () => {
    expect(judge(report, parseAllowList('# known\ncore -> deploy\ndeploy  ->  core # back edge\n\n'))).toEqual({ unlisted: [], stale: [] });
  });

  it('fails on a cycle edge the list does not name', () => {
    expect(judge(report, parseAllowList('core -> deploy\n')).unlisted.map(edgeKey)).toEqual(['deploy -> core']);
  });

  it('fails on a listed edge that is on no cycle any more, so the list only shrinks', () => {
    const broken = findCycles(areaEdges(imports(['core/c.ts', 'deploy/d.ts'])));
    expect(judge(broken, parseAllowList('core -> deploy\ndeploy -> core\n')).stale).toEqual(['core -> deploy', 'deploy -> core']);
  });

  it('refuses a line that is not "from -> to"', () => {
    expect(() => parseAllowList('core deploy\n')).toThrow('is not "from -> to"');
  });
});
