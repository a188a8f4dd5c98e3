/** `npm run bench -- NAME` runs bench/NAME.ts; each bench prints its result as one JSON object on its last line. */
export {};

const benchName = process.argv[2];
if (!benchName || !/^[a-z0-9-]+$/.test(benchName)) {
  console.error('usage: npm run bench -- <name>   (runs bench/<name>.ts)');
  process.exit(2);
}
await import(`./${benchName}.ts`);
