import { describe, expect, it } from 'vitest';
import { areaEdges, areaOf, edgeKey, findCycles, layerViolations, type FileImport } from './area-cycles';

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

describe('layer rule', () => {
  const reasons = (fileImports: FileImport[]): string[] => layerViolations(areaEdges(fileImports)).map(({ edge }) => edgeKey(edge));

  it('accepts imports that go down the layers, skipping layers included', () => {
    expect(reasons(imports(['main.ts', 'core/core.ts'], ['headless/s.ts', 'core/core.ts'], ['core/core.ts', 'pxe/p.ts'], ['pxe/p.ts', 'lib/l.ts'], ['pxe/p.ts', 'native/a.ts'], ['cli/m.ts', 'inventory/i.ts']))).toEqual([]);
  });

  it('refuses an import upwards', () => {
    expect(reasons(imports(['deploy/d.ts', 'core/c.ts'], ['lib/l.ts', 'pxe/p.ts']))).toEqual(['deploy -> core', 'lib -> pxe']);
  });

  it('refuses one domain service importing another, even without a cycle', () => {
    const [violation] = layerViolations(areaEdges(imports(['network/n.ts', 'pxe/p.ts'])));
    expect(violation?.reason).toContain('declare a port');
  });

  it('refuses an area that is in no layer, naming it', () => {
    const [violation] = layerViolations(areaEdges(imports(['telemetry/t.ts', 'lib/l.ts'])));
    expect(violation?.reason).toContain('"telemetry" is in no layer');
  });
});
