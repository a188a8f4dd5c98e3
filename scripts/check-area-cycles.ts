// The lint step's check that the areas of electron/ import one another in one direction: down the layers of
// docs/architecture.md, never across a layer, so no import cycle can form between areas.
import { fileURLToPath } from 'node:url';
import { areaEdges, edgeKey, findCycles, layerViolations } from './area-cycles';
import { readImports } from './area-imports';

const ELECTRON = fileURLToPath(new URL('../electron/', import.meta.url));

const edges = areaEdges(await readImports(ELECTRON));
const report = findCycles(edges);
const violations = layerViolations(edges);

for (const cycle of report.cycles) console.error(`import cycle between areas of electron/: ${cycle.join(', ')}`);
for (const { edge, reason } of violations) {
  console.error(`${edgeKey(edge)} (${edge.example.from} imports ${edge.example.to}): ${reason}`);
}
if (report.cycles.length > 0 || violations.length > 0) process.exit(1);
console.log(`area imports: ${edges.length} edges between areas, all down the layers, no cycle`);
