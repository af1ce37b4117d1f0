// Writes the CRDs generated from src/api/ into deploy/crds/ (one YAML per kind and a
// kustomization.yaml listing them).
//
//   npm exec -- node scripts/gen-crds.ts           regenerate the files
//   npm exec -- node scripts/gen-crds.ts --check   exit 1 if the checked-in files are stale
//
// Files in deploy/crds/ that the generator no longer produces are removed (or, with --check,
// reported), so a renamed kind cannot leave a stale CRD behind.
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CRD_OUTPUT_DIR, renderCrdManifests } from '../src/api/crd.ts';

const repoRoot = resolve(import.meta.dirname, '..');

async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
  const outDir = join(repoRoot, CRD_OUTPUT_DIR);
  const manifests = renderCrdManifests();
  const wanted = new Set(manifests.map((m) => m.fileName));
  await mkdir(outDir, { recursive: true });
  const stale = (await readdir(outDir)).filter((f) => f.endsWith('.yaml') && !wanted.has(f));

  const outdated: string[] = [];
  for (const { fileName, content } of manifests) {
    const path = join(outDir, fileName);
    if ((await readIfPresent(path)) === content) continue;
    outdated.push(fileName);
    if (!values.check) await writeFile(path, content);
  }
  if (!values.check) for (const fileName of stale) await rm(join(outDir, fileName));

  const summary = [
    ...(outdated.length > 0 ? [`${values.check ? 'stale' : 'wrote'}: ${outdated.join(', ')}`] : []),
    ...(stale.length > 0 ? [`${values.check ? 'not generated' : 'removed'}: ${stale.join(', ')}`] : []),
  ].join('; ');
  if (summary === '') {
    console.log(`${CRD_OUTPUT_DIR} is up to date`);
    return 0;
  }
  if (values.check) {
    console.error(`${CRD_OUTPUT_DIR} is out of date with src/api (${summary}). Run: npm exec -- node scripts/gen-crds.ts`);
    return 1;
  }
  console.log(`${CRD_OUTPUT_DIR}: ${summary}`);
  return 0;
}

process.exitCode = await main();
