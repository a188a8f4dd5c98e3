/**
 * Orders kernel modules so each comes after what it depends on, from the text of `modules.dep`
 * (`kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko …`). Names are module names as modprobe
 * takes them (dashes and underscores are the same).
 */
export function resolveModuleOrder(modulesDep: string, wanted: string[]): { order: string[]; missing: string[] } {
  const deps = new Map<string, string[]>();
  const byName = new Map<string, string>();
  for (const line of modulesDep.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const file = line.slice(0, colon).trim();
    deps.set(file, line.slice(colon + 1).trim().split(/\s+/).filter(Boolean));
    byName.set(moduleName(file), file);
  }
  const order: string[] = [];
  const missing: string[] = [];
  const visit = (file: string, trail: Set<string>): void => {
    if (order.includes(file) || trail.has(file)) return;
    trail.add(file);
    // modules.dep lists a module's whole dependency closure with the first to load last, as modprobe reads it.
    for (const dep of [...(deps.get(file) ?? [])].reverse()) visit(dep, trail);
    order.push(file);
  };
  for (const name of wanted) {
    const file = byName.get(normalize(name));
    if (file) visit(file, new Set());
    else missing.push(name);
  }
  return { order, missing };
}

function normalize(name: string): string {
  return name.replace(/-/g, '_');
}

function moduleName(file: string): string {
  return normalize(file.split('/').pop()!.replace(/\.ko(\.(xz|zst|gz))?$/, ''));
}

/**
 * `modules.dep` and `modules.alias` cut down to the given module files, for a module tree that holds only those:
 * modprobe then resolves a device's modalias to a driver the tree has, and never to one it lacks.
 */
export function moduleIndex(modulesDep: string, modulesAlias: string, files: string[]): { modulesDep: string; modulesAlias: string } {
  const kept = new Set(files);
  const names = new Set(files.map(moduleName));
  const depLines = modulesDep.split('\n').filter((line) => kept.has(line.slice(0, line.indexOf(':')).trim()));
  const aliasLines = modulesAlias.split('\n').filter((line) => {
    const words = line.trim().split(/\s+/);
    return words.length === 3 && words[0] === 'alias' && names.has(normalize(words[2]!));
  });
  return { modulesDep: joinLines(depLines), modulesAlias: joinLines(aliasLines) };
}

function joinLines(lines: string[]): string {
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
