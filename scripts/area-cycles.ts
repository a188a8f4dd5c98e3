// Import cycles between the areas of electron/ (its top-level folders, and the shell files beside them as one area
// called `shell`), found from file-level imports, and the layer rule they follow. Pure: file paths in, areas, cycles
// and violations out.

/** One import: both paths relative to electron/, with forward slashes. */
export interface FileImport {
  readonly from: string;
  readonly to: string;
}

/** A dependency of one area on another, with the first import found that makes it (to show where to cut). */
export interface AreaEdge {
  readonly from: string;
  readonly to: string;
  readonly example: FileImport;
}

/** The area name for the files directly in electron/ (main.ts, preload.ts, ipc.ts, …). */
export const SHELL_AREA = 'shell';

export function areaOf(file: string): string {
  const slash = file.indexOf('/');
  return slash === -1 ? SHELL_AREA : file.slice(0, slash);
}

export function edgeKey(edge: { readonly from: string; readonly to: string }): string {
  return `${edge.from} -> ${edge.to}`;
}

/** The area dependencies the imports make, one per ordered pair of different areas, in a stable order. */
export function areaEdges(imports: readonly FileImport[]): AreaEdge[] {
  const edges = new Map<string, AreaEdge>();
  for (const fileImport of [...imports].sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to))) {
    const from = areaOf(fileImport.from);
    const to = areaOf(fileImport.to);
    if (from === to) continue;
    const key = edgeKey({ from, to });
    if (!edges.has(key)) edges.set(key, { from, to, example: fileImport });
  }
  return [...edges.values()].sort((a, b) => edgeKey(a).localeCompare(edgeKey(b)));
}

export interface CycleReport {
  /** Each group of areas that reach one another (a strongly connected component of more than one area), sorted. */
  readonly cycles: string[][];
  /** The edges inside those groups: every one of them lies on a cycle. */
  readonly cycleEdges: AreaEdge[];
}

/** Tarjan's strongly connected components over the area graph. */
export function findCycles(edges: readonly AreaEdge[]): CycleReport {
  const next = new Map<string, string[]>();
  for (const edge of edges) {
    next.set(edge.from, [...(next.get(edge.from) ?? []), edge.to]);
    if (!next.has(edge.to)) next.set(edge.to, []);
  }
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  const visit = (area: string): void => {
    index.set(area, index.size);
    lowLink.set(area, index.get(area)!);
    stack.push(area);
    onStack.add(area);
    for (const target of next.get(area) ?? []) {
      if (!index.has(target)) {
        visit(target);
        lowLink.set(area, Math.min(lowLink.get(area)!, lowLink.get(target)!));
      } else if (onStack.has(target)) {
        lowLink.set(area, Math.min(lowLink.get(area)!, index.get(target)!));
      }
    }
    if (lowLink.get(area) !== index.get(area)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== area);
    if (component.length > 1) components.push(component.sort());
  };
  for (const area of [...next.keys()].sort()) if (!index.has(area)) visit(area);
  const componentOf = new Map<string, number>();
  components.forEach((component, position) => component.forEach((area) => componentOf.set(area, position)));
  const cycleEdges = edges.filter((edge) => componentOf.has(edge.from) && componentOf.get(edge.from) === componentOf.get(edge.to));
  return { cycles: components.sort((a, b) => a.join().localeCompare(b.join())), cycleEdges };
}

/**
 * The layers, top to bottom (docs/architecture.md). An area may import only areas of a lower layer: a shell the core,
 * the core the domain services, a domain service `lib` and `native`, never another domain service (that is a port the
 * needing one declares, wired in core). So no cycle can form, and a new area must be placed here first.
 */
export const LAYERS: readonly (readonly string[])[] = [
  [SHELL_AREA, 'headless', 'cli'],
  ['core'],
  ['deploy', 'network', 'pxe', 'ipmi', 'redfish', 'inventory', 'ironic'],
  ['lib'],
  ['native'],
];

function layerOf(area: string): number | undefined {
  const layer = LAYERS.findIndex((areas) => areas.includes(area));
  return layer === -1 ? undefined : layer;
}

/** The edges that do not go down a layer, each with why. */
export function layerViolations(edges: readonly AreaEdge[]): { edge: AreaEdge; reason: string }[] {
  const violations: { edge: AreaEdge; reason: string }[] = [];
  for (const edge of edges) {
    const from = layerOf(edge.from);
    const to = layerOf(edge.to);
    if (from === undefined || to === undefined) {
      const unknown = from === undefined ? edge.from : edge.to;
      violations.push({ edge, reason: `area "${unknown}" is in no layer: add it to LAYERS in scripts/area-cycles.ts` });
    } else if (from === to) {
      violations.push({ edge, reason: 'areas of one layer do not import each other: declare a port in the area that needs it and wire it in core' });
    } else if (from > to) {
      violations.push({ edge, reason: 'imports upwards: move what both need down a layer, or declare a port and wire it in the layer above' });
    }
  }
  return violations;
}
