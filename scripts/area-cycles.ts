// Import cycles between the areas of electron/ (its top-level folders, and the shell files beside them as one area
// called `shell`), found from file-level imports. Pure: file paths in, areas, cycles and a verdict out.

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

/** The allow-list file: one `from -> to` per line; `#` starts a comment. */
export function parseAllowList(text: string): Set<string> {
  const allowed = new Set<string>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') continue;
    const match = /^([\w.-]+)\s*->\s*([\w.-]+)$/.exec(line);
    if (!match) throw new Error(`allow-list line "${raw}" is not "from -> to"`);
    allowed.add(edgeKey({ from: match[1]!, to: match[2]! }));
  }
  return allowed;
}

export interface Verdict {
  /** Edges on a cycle that the list does not name: a new cycle, or a new edge in an old one. */
  readonly unlisted: AreaEdge[];
  /** Listed edges that are on no cycle any more (gone, or the cycle was broken elsewhere): the list must shrink. */
  readonly stale: string[];
}

export function judge(report: CycleReport, allowed: ReadonlySet<string>): Verdict {
  const onCycles = new Set(report.cycleEdges.map(edgeKey));
  return {
    unlisted: report.cycleEdges.filter((edge) => !allowed.has(edgeKey(edge))),
    stale: [...allowed].filter((key) => !onCycles.has(key)).sort(),
  };
}
