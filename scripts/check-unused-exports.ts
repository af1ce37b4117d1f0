// `npm run lint:exports`: fails when src/ or sim/ exports something nothing imports (dead
// code that typecheck and lint cannot see). ts-unused-exports finds the exports no module
// imports (tests and benches count as importers); this script then keeps only the ones not
// used in their own file either, because an exported type that an exported signature uses is
// part of that signature, not dead. (The tool's own --ignoreLocallyUsed flag counts the
// declaration's name as a use, so it never reports anything.) Barrels (`index.ts`) are left
// out of the report: the tool credits their re-exports to the original module. A module loaded
// with a dynamic `import('./x.ts')` is an entry point: the tool cannot see which of its names
// the caller takes, so none of its exports is reported.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { analyzeTsConfig } from 'ts-unused-exports';
import ts from 'typescript';

const REPORTED = /^(src|sim)\//;

/** Identifiers named `name` in the file other than the exported declaration's own name. */
function localUses(file: string, name: string): number {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  let uses = 0;
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && node.text === name) {
      const parent = node.parent;
      const isOwnName = (ts.isFunctionDeclaration(parent) || ts.isClassDeclaration(parent) || ts.isInterfaceDeclaration(parent) ||
        ts.isTypeAliasDeclaration(parent) || ts.isVariableDeclaration(parent)) && parent.name === node;
      if (!isOwnName) uses += 1;
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return uses;
}

/** Every .ts file below `dir` (no node_modules). */
function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.parentPath.includes('node_modules'))
    .map((e) => path.join(e.parentPath, e.name));
}

/** Modules some file loads with `import('<relative path>')`, as absolute paths. */
function dynamicallyImported(files: readonly string[]): Set<string> {
  const targets = new Set<string>();
  for (const file of files) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        const [arg] = node.arguments;
        if (arg !== undefined && ts.isStringLiteral(arg) && arg.text.startsWith('.')) targets.add(path.resolve(path.dirname(file), arg.text));
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return targets;
}

const root = process.cwd();
const entryPoints = dynamicallyImported(['src', 'sim', 'test', 'bench', 'scripts'].flatMap((d) => tsFiles(path.join(root, d))));
const analysis = analyzeTsConfig(path.join(root, 'tsconfig.json'));
const dead: string[] = [];
for (const [file, exports] of Object.entries(analysis.unusedExports)) {
  const rel = path.relative(root, path.resolve(root, file.endsWith('.ts') ? file : `${file}.ts`));
  if (!REPORTED.test(rel) || path.basename(rel) === 'index.ts' || entryPoints.has(path.join(root, rel))) continue;
  for (const { exportName, location } of exports) {
    if (localUses(path.join(root, rel), exportName) === 0) dead.push(`${rel}:${location.line} ${exportName}`);
  }
}
if (dead.length > 0) {
  process.stderr.write(`Exported but used nowhere (remove the export, or the code):\n${dead.map((d) => `  ${d}`).join('\n')}\n`);
  process.exit(1);
}
process.stdout.write('unused exports: none\n');
