// Pod volumes on the local node: each volume is a directory under the pod's own directory
// (emptyDir empty, secret and configMap filled with their keys as files, with their modes), and
// each container mount is a symbolic link at `<rootfs><mountPath>` to it (or to its subPath).
import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { dict, str, type ContainerSpec, type Dict } from './pod-spec.ts';

export class VolumeError extends Error {
  override readonly name: string = 'VolumeError';
}

/** A Secret or ConfigMap a volume needs does not exist (yet): the kubelet keeps retrying. */
export class MissingSourceError extends VolumeError {
  override readonly name = 'MissingSourceError';
}

export interface VolumeSources {
  /** Secret data, base64-decoded. */
  secret(name: string): Record<string, Buffer> | undefined;
  configMap(name: string): Record<string, Buffer> | undefined;
}

function safeRelative(path: string, what: string): string {
  const n = normalize(path);
  if (n.startsWith('/') || n === '..' || n.startsWith('../')) throw new VolumeError(`${what} ${JSON.stringify(path)} must be a relative path inside the volume`);
  return n;
}

function fill(dir: string, data: Record<string, Buffer>, source: Dict, what: string): void {
  const defaultMode = typeof source.defaultMode === 'number' ? source.defaultMode : 0o644;
  const items = Array.isArray(source.items) ? source.items.map(dict) : undefined;
  const files = items === undefined
    ? Object.entries(data).map(([key, value]) => ({ path: key, value, mode: defaultMode }))
    : items.map((item) => {
      const key = str(item.key);
      const value = data[key];
      if (value === undefined) throw new VolumeError(`${what}: key ${key} not found`);
      return { path: str(item.path, key), value, mode: typeof item.mode === 'number' ? item.mode : defaultMode };
    });
  for (const f of files) {
    const target = join(dir, safeRelative(f.path, `${what} item path`));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, f.value, { mode: f.mode });
    chmodSync(target, f.mode);
  }
}

/** Creates every volume of the pod under `volumesDir`; throws VolumeError for what cannot be. */
export function materializeVolumes(pod: Dict, volumesDir: string, sources: VolumeSources): void {
  const volumes = Array.isArray(dict(pod.spec).volumes) ? (dict(pod.spec).volumes as unknown[]).map(dict) : [];
  for (const v of volumes) {
    const name = str(v.name);
    const dir = join(volumesDir, safeRelative(name, 'volume name'));
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    if (v.emptyDir !== undefined) continue;
    const source = v.secret !== undefined
      ? { spec: dict(v.secret), kind: 'secret', ref: str(dict(v.secret).secretName), read: (n: string) => sources.secret(n) }
      : v.configMap !== undefined ? { spec: dict(v.configMap), kind: 'configmap', ref: str(dict(v.configMap).name), read: (n: string) => sources.configMap(n) } : undefined;
    if (source !== undefined) {
      const data = source.read(source.ref);
      if (data === undefined) {
        if (source.spec.optional === true) continue;
        throw new MissingSourceError(`${source.kind} "${source.ref}" not found`);
      }
      fill(dir, data, source.spec, `${source.kind} volume ${name}`);
      continue;
    }
    throw new VolumeError(`volume ${name}: only emptyDir, secret and configMap volumes run on the local node`);
  }
}

/** Links the container's mounts into the pod's root (`<rootfs><mountPath>` -> the volume). */
export function linkMounts(c: ContainerSpec, rootfs: string, volumesDir: string): void {
  for (const m of c.volumeMounts) {
    if (!m.mountPath.startsWith('/')) throw new VolumeError(`mountPath ${JSON.stringify(m.mountPath)} must be absolute`);
    const at = join(rootfs, normalize(m.mountPath));
    const target = join(volumesDir, safeRelative(m.name, 'volume name'), m.subPath === '' ? '' : safeRelative(m.subPath, 'subPath'));
    mkdirSync(target, { recursive: true });
    mkdirSync(dirname(at), { recursive: true });
    rmSync(at, { force: true, recursive: false });
    symlinkSync(target, at);
  }
}
