// Reads the town's rig registry, `<town>/mayor/rigs.json`, read-only: the one gt file the
// operator reads directly (docs/gt-contract.md, "Town layout"), because it is where a rig's beads
// prefix and git URL live and no gt command prints them as JSON.
//
// Guarantees: never writes; an unreadable or malformed file yields `undefined` (unknown), never
// an empty registry, so a parse problem cannot turn into a false SpecMismatch; extra fields and
// newer versions of the file are tolerated.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { parseJsonText } from './json-text.ts';
import type { RigTownConfig } from './snapshot.ts';

const rigsJsonSchema = z.looseObject({
  rigs: z.record(
    z.string(),
    z.looseObject({
      git_url: z.string().optional(),
      beads: z.looseObject({ prefix: z.string().optional() }).optional(),
    }),
  ),
});

export function rigsJsonPath(townRoot: string): string {
  return path.join(townRoot, 'mayor', 'rigs.json');
}

/** Parses the text of `mayor/rigs.json`; undefined when it is not the registry gt writes. */
export function parseRigsJson(text: string): Map<string, RigTownConfig> | undefined {
  const registry = parseJsonText(rigsJsonSchema, text);
  if (registry === undefined) return undefined;
  const out = new Map<string, RigTownConfig>();
  for (const [name, entry] of Object.entries(registry.rigs)) {
    const config: { gitURL?: string; beadsPrefix?: string } = {};
    if (entry.git_url !== undefined && entry.git_url !== '') config.gitURL = entry.git_url;
    if (entry.beads?.prefix !== undefined && entry.beads.prefix !== '') config.beadsPrefix = entry.beads.prefix;
    out.set(name, config);
  }
  return out;
}

/** The rig registry of the town at `townRoot`, or undefined when it cannot be read. */
export async function readRigConfigs(townRoot: string): Promise<Map<string, RigTownConfig> | undefined> {
  try {
    return parseRigsJson(await readFile(rigsJsonPath(townRoot), 'utf8'));
  } catch {
    return undefined;
  }
}
