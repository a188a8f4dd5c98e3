// The lint step's check that the areas of electron/ import one another in one direction. Cycles that exist today
// are listed in scripts/area-cycles.allow; the check fails on any cycle edge not listed there and on any listed edge
// that is no longer on a cycle, so the list only shrinks and always says what is left to untangle.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { areaEdges, edgeKey, findCycles, judge, parseAllowList } from './area-cycles';
import { readImports } from './area-imports';

const ELECTRON = fileURLToPath(new URL('../electron/', import.meta.url));
const ALLOW_LIST = fileURLToPath(new URL('./area-cycles.allow', import.meta.url));

const report = findCycles(areaEdges(await readImports(ELECTRON)));
const verdict = judge(report, parseAllowList(await readFile(ALLOW_LIST, 'utf8')));

for (const cycle of report.cycles) console.log(`import cycle between areas of electron/: ${cycle.join(', ')}`);
for (const edge of report.cycleEdges) console.log(`  ${edgeKey(edge).padEnd(24)} e.g. ${edge.example.from} imports ${edge.example.to}`);
for (const edge of verdict.unlisted) {
  console.error(`new import cycle edge ${edgeKey(edge)} (${edge.example.from} imports ${edge.example.to}): areas import one another in one direction: move what both need down a layer, or declare a port in the area that needs it and wire it in core`);
}
for (const key of verdict.stale) {
  console.error(`${key} is on no import cycle any more: delete its line from scripts/area-cycles.allow`);
}
if (verdict.unlisted.length > 0 || verdict.stale.length > 0) process.exit(1);
console.log(`area import cycles: ${report.cycleEdges.length} known edge(s) left to remove, none new`);
