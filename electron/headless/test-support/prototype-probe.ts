// Loaded into a server under test with `node --import`: on the line "probe" from stdin it prints the own keys (and the
// kind of value each holds) of the built-in prototypes, so a test can tell whether a request polluted one.
import readline from 'node:readline';

const builtins: Record<string, object> = {
  Object: Object.prototype,
  Array: Array.prototype,
  Function: Function.prototype,
  String: String.prototype,
  Number: Number.prototype,
  Boolean: Boolean.prototype,
};

function describePrototypes(): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(builtins).map(([name, prototype]) => [
      name,
      Reflect.ownKeys(prototype)
        .map((key) => {
          const descriptor = Reflect.getOwnPropertyDescriptor(prototype, key);
          return `${String(key)}:${descriptor && 'value' in descriptor ? typeof descriptor.value : 'accessor'}`;
        })
        .sort(),
    ]),
  );
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'probe') process.stdout.write(`prototypes ${JSON.stringify(describePrototypes())}\n`);
});
