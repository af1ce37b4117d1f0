// The registry of served resources: the built-ins plus whatever established CRDs declare.
// Lookups accept the URL form (group, version, plural). Discovery reads `groups()`, which
// orders groups as the real server does (core first, then built-in groups, then CRD groups by
// name) and versions by Kubernetes version priority (the first is the preferred version).
import { compareVersionPriority } from './versions.ts';
import type { ResourceType } from './types.ts';

export interface GroupVersionInfo {
  version: string;
  resources: ResourceType[];
}

export interface GroupInfo {
  name: string;
  versions: GroupVersionInfo[];
}

export class Registry {
  private readonly builtins: readonly ResourceType[];
  private readonly custom = new Map<string, ResourceType[]>();

  constructor(builtins: readonly ResourceType[]) {
    this.builtins = builtins;
  }

  /** Replaces the types served for one CRD (empty = stop serving it). */
  setCrdTypes(crdName: string, types: ResourceType[]): void {
    if (types.length === 0) this.custom.delete(crdName);
    else this.custom.set(crdName, types);
  }

  all(): ResourceType[] {
    return [...this.builtins, ...[...this.custom.values()].flat()];
  }

  lookup(group: string, version: string, resource: string): ResourceType | undefined {
    return this.all().find((t) => t.group === group && t.version === version && t.resource === resource);
  }

  /** Any served version of a storage key (for cascades that work on stored objects). */
  byStorageKey(storageKey: string): ResourceType | undefined {
    return this.all().find((t) => t.storageKey === storageKey);
  }

  storageKeys(): string[] {
    return [...new Set(this.all().map((t) => t.storageKey))];
  }

  hasGroupVersion(group: string, version: string): boolean {
    return this.all().some((t) => t.group === group && t.version === version);
  }

  groups(): GroupInfo[] {
    const order: string[] = [];
    const byGroup = new Map<string, Map<string, ResourceType[]>>();
    const customTypes = [...this.custom.values()].flat().sort((a, b) => a.group.localeCompare(b.group));
    for (const t of [...this.builtins, ...customTypes]) {
      let versions = byGroup.get(t.group);
      if (versions === undefined) {
        versions = new Map();
        byGroup.set(t.group, versions);
        order.push(t.group);
      }
      const list = versions.get(t.version) ?? [];
      list.push(t);
      versions.set(t.version, list);
    }
    return order.map((name) => ({
      name,
      versions: [...(byGroup.get(name) ?? new Map<string, ResourceType[]>()).entries()]
        .sort(([a], [b]) => compareVersionPriority(a, b))
        .map(([version, resources]) => ({ version, resources })),
    }));
  }
}
