// Demo mode only: a simulated town starts with Rig views for its rigs (as a user would apply
// them for a real town), so `kubectl get gastown` shows something at once. Existing Rigs are
// left alone; the views are labelled discovered. A real town never gets Rigs created for it:
// Rig objects name a path on the town host and are the user's to declare.
import path from 'node:path';
import { API_GROUP_VERSION, Kind, Label, TRUE_VALUE } from '../api/index.ts';
import { RIG_KIND } from '../api/kinds.ts';
import type { RigTownConfig } from '../controllers/town-sync/snapshot.ts';
import { readRigConfigs } from '../controllers/town-sync/town-config.ts';
import type { Logger } from '../observability/logger.ts';
import { bounded } from '../runtime/bounded.ts';
import { KubeApiError, type KubeClient, type KubeObject } from '../runtime/k8s.ts';

/** Creates the missing Rig views, then idles until `signal` aborts (a one-shot leader task). */
export async function ensureSimulatedRigViews(client: KubeClient, townRoot: string, logger: Logger, signal: AbortSignal): Promise<void> {
  const rigs: ReadonlyMap<string, RigTownConfig> = (await readRigConfigs(townRoot)) ?? new Map<string, RigTownConfig>();
  // A few at a time: one by one, 50 rigs took 12 s of a busy start-up (bench/results/scale.md).
  await bounded(MAX_IN_FLIGHT, [...rigs].map(([name, cfg]) => () => ensureRigView(client, townRoot, name, cfg, logger)));
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

const MAX_IN_FLIGHT = 8;

async function ensureRigView(client: KubeClient, townRoot: string, name: string, cfg: RigTownConfig, logger: Logger): Promise<void> {
  const obj: KubeObject & { spec: Record<string, string> } = {
    apiVersion: API_GROUP_VERSION,
    kind: Kind.Rig,
    metadata: { name: name.toLowerCase().replace(/[^a-z0-9-]/g, '-'), labels: { [Label.Discovered]: TRUE_VALUE } },
    spec: {
      localPath: path.join(townRoot, name),
      ...(cfg.beadsPrefix === undefined ? {} : { beadsPrefix: cfg.beadsPrefix }),
      ...(cfg.gitURL === undefined ? {} : { gitURL: cfg.gitURL }),
    },
  };
  try {
    await client.create(RIG_KIND, obj);
    logger.info({ rig: name }, 'created a Rig view for the simulated town');
  } catch (error) {
    if (!(error instanceof KubeApiError && error.code === 409)) throw error;
  }
}
