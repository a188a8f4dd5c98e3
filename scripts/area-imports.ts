// Reads the relative imports of the main-process sources under one folder (electron/), tests and test support
// left out: they may reach across areas to set things up without making the product's structure circular.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import ts from 'typescript';
import type { FileImport } from './area-cycles';

/** Test files and the helpers only tests use. */
export function isTestSource(relativePath: string): boolean {
  return /\.test\.tsx?$/.test(relativePath) || /(^|\/)testing\//.test(relativePath) || /(^|\/)test-fixtures\.ts$/.test(relativePath);
}

async function sourceFiles(root: string, folder = ''): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(path.join(root, folder), { withFileTypes: true })) {
    const relative = folder === '' ? entry.name : `${folder}/${entry.name}`;
    if (entry.isDirectory()) found.push(...(await sourceFiles(root, relative)));
    else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') && !isTestSource(relative)) found.push(relative);
  }
  return found.sort();
}

async function isFile(file: string): Promise<boolean> {
  return stat(file).then(
    (info) => info.isFile(),
    () => false,
  );
}

/** The file a relative specifier names, as the bundler resolves it; null when it leaves `root` or names nothing. */
async function resolveImport(root: string, from: string, specifier: string): Promise<string | null> {
  const target = path.resolve(root, path.dirname(from), specifier.replace(/\?raw$/, ''));
  const relative = path.relative(root, target);
  if (relative.startsWith('..') || path.isAbsolute(relative)) return null;
  for (const candidate of [target, `${target}.ts`, `${target}.tsx`, path.join(target, 'index.ts')]) {
    if (await isFile(candidate)) return path.relative(root, candidate).split(path.sep).join('/');
  }
  return null;
}

/** Every relative import (type-only, re-exports and dynamic imports included) between files under `root`. */
export async function readImports(root: string): Promise<FileImport[]> {
  const imports: FileImport[] = [];
  for (const from of await sourceFiles(root)) {
    const text = await readFile(path.join(root, from), 'utf8');
    for (const { fileName } of ts.preProcessFile(text, true, true).importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const to = await resolveImport(root, from, fileName);
      if (to !== null) imports.push({ from, to });
    }
  }
  return imports;
}
