// Adds up the JSON reports of vitest and Playwright into one closing line: "N passed, N failed, N skipped".
import { existsSync, readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;

function countPlaywright(suite) {
  for (const spec of suite.specs ?? []) {
    for (const t of spec.tests ?? []) {
      if (t.status === 'skipped') skipped += 1;
      else if (t.status === 'expected' || t.status === 'flaky') passed += 1;
      else failed += 1;
    }
  }
  for (const child of suite.suites ?? []) countPlaywright(child);
}

for (const file of process.argv.slice(2)) {
  if (!existsSync(file)) {
    console.log(`summary: ${file} missing (that suite did not run to the end)`);
    failed += 1;
    continue;
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  if ('numPassedTests' in report) {
    passed += report.numPassedTests;
    failed += report.numFailedTests;
    skipped += report.numPendingTests + (report.numTodoTests ?? 0);
  } else {
    for (const suite of report.suites ?? []) countPlaywright(suite);
  }
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
