// The pure mappers the composition root uses to turn a town change into the keys of the views
// it affects: Rigs by gt rig name, Polecats by followed polecat / bead / waiting rig, Convoys by
// convoy id and tracked beads (never a Completed or Failed one).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Label } from '../../../src/api/index.ts';
import { convoyKeysForChange } from '../../../src/controllers/convoy/controller.ts';
import { polecatKeysForChange } from '../../../src/controllers/polecat/controller.ts';
import { rigKeysForChange } from '../../../src/controllers/rig/controller.ts';
import { NO_CHANGE, type TownChange } from '../../../src/controllers/town-sync/diff.ts';
import type { KubeObject } from '../../../src/runtime/k8s.ts';

const change = (over: Partial<TownChange>): TownChange => ({ ...NO_CHANGE, ...over });

function pc(name: string, spec: Record<string, unknown>, extra: { status?: Record<string, unknown>; labels?: Record<string, string> } = {}): KubeObject {
  return {
    apiVersion: 'gastown.gastown.io/v1alpha1', kind: 'Polecat',
    metadata: { name, namespace: 'ns', generation: 1, ...(extra.labels ? { labels: extra.labels } : {}) },
    spec: { rig: 'gastown', ...spec },
    ...(extra.status ? { status: extra.status } : {}),
  } as KubeObject;
}

function cv(name: string, trackedBeads: string[], status?: Record<string, unknown>, generation = 1): KubeObject {
  return {
    apiVersion: 'gastown.gastown.io/v1alpha1', kind: 'Convoy',
    metadata: { name, namespace: 'ns', generation },
    spec: { trackedBeads },
    ...(status ? { status } : {}),
  } as KubeObject;
}

function rg(name: string, localPath: string): KubeObject {
  return { apiVersion: 'gastown.gastown.io/v1alpha1', kind: 'Rig', metadata: { name }, spec: { localPath } } as KubeObject;
}

describe('rigKeysForChange', () => {
  const rigs = [rg('gt', '/town/gastown'), rg('beads', '/town/beads'), { metadata: { name: 'broken' }, spec: {} } as KubeObject];
  const table: [string, TownChange, string[]][] = [
    ['nothing changed', NO_CHANGE, []],
    ['a rig changed, by gt rig name (last segment of localPath)', change({ rigs: ['gastown'] }), ['gt']],
    ['an unknown rig', change({ rigs: ['other'] }), []],
    ['the town became (un)readable: every decodable Rig', change({ all: true }), ['gt', 'beads']],
  ];
  for (const [name, c, keys] of table) test(name, () => assert.deepEqual(rigKeysForChange(c, rigs), keys));
});

describe('polecatKeysForChange', () => {
  const polecats = [
    pc('followed', { desiredState: 'Working', beadID: 'gt-aaa11' }, { status: { phase: 'Working', gtName: 'nux', rig: 'gastown', beadID: 'gt-aaa11' } }),
    pc('labelled', { desiredState: 'Idle' }, { labels: { [Label.Discovered]: 'true', [Label.Rig]: 'gastown', [Label.Polecat]: 'toast' } }),
    pc('waiting', { desiredState: 'Working', beadID: 'gt-bbb22' }, { status: { phase: 'Pending' } }),
    pc('scheduled', { desiredState: 'Working', beadID: 'gt-ccc33' }, { status: { phase: 'Pending', beadID: 'gt-ccc33' } }),
    pc('other-rig', { rig: 'beads', desiredState: 'Working', beadID: 'bd-ddd44' }, { status: { phase: 'Pending' } }),
    pc('done', { desiredState: 'Terminated', beadID: 'gt-eee55' }, { status: { phase: 'Terminated', gtName: 'slit', rig: 'gastown', beadID: 'gt-eee55' } }),
    { metadata: { name: 'broken', namespace: 'ns' }, spec: { desiredState: 'Nope' } } as KubeObject,
  ];
  const table: [string, TownChange, string[]][] = [
    ['nothing changed', NO_CHANGE, []],
    ['the followed polecat (<rig>/<status.gtName>) changed; Pending views of its rig too', change({ polecats: ['gastown/nux'] }), ['ns/followed', 'ns/waiting', 'ns/scheduled']],
    ['a discovered view by its rig/polecat labels', change({ polecats: ['gastown/toast'] }), ['ns/labelled', 'ns/waiting', 'ns/scheduled']],
    ['a polecat of another rig: only that rig\'s Pending views', change({ polecats: ['beads/rictus'] }), ['ns/other-rig']],
    ['the bead a Pending view slings (spec.beadID)', change({ beads: ['gt-bbb22'] }), ['ns/waiting']],
    ['the bead gt scheduled (status.beadID)', change({ beads: ['gt-ccc33'] }), ['ns/scheduled']],
    ['the bead of a Working view (closed outside)', change({ beads: ['gt-aaa11'] }), ['ns/followed']],
    ['the bead of a Terminated view: nothing to do', change({ beads: ['gt-eee55'] }), []],
    ['a Terminated view whose gt name is reused', change({ polecats: ['gastown/slit'] }), ['ns/waiting', 'ns/scheduled', 'ns/done']],
    ['the town became (un)readable: every decodable Polecat', change({ all: true }), ['ns/followed', 'ns/labelled', 'ns/waiting', 'ns/scheduled', 'ns/other-rig', 'ns/done']],
  ];
  for (const [name, c, keys] of table) test(name, () => assert.deepEqual(polecatKeysForChange(c, polecats), keys));
});

describe('convoyKeysForChange', () => {
  const convoys = [
    cv('running', ['gt-aaa11', 'bd-bbb22'], { phase: 'InProgress', beadsConvoyID: 'hq-cv-aaaaa', observedGeneration: 1 }),
    cv('creating', ['gt-ccc33'], { phase: 'Pending' }),
    cv('completed', ['gt-aaa11'], { phase: 'Completed', beadsConvoyID: 'hq-cv-bbbbb', observedGeneration: 1 }),
    cv('failed', ['gt-aaa11'], { phase: 'Failed', beadsConvoyID: 'hq-cv-ccccc', observedGeneration: 1 }),
    cv('completed-then-edited', ['gt-aaa11'], { phase: 'Completed', beadsConvoyID: 'hq-cv-ddddd', observedGeneration: 1 }, 2),
    { metadata: { name: 'broken', namespace: 'ns' }, spec: { trackedBeads: 'x' } } as KubeObject,
  ];
  const table: [string, TownChange, string[]][] = [
    ['nothing changed', NO_CHANGE, []],
    ['its gt convoy changed in the open list', change({ convoys: ['hq-cv-aaaaa'] }), ['ns/running']],
    ['its gt convoy changed in the bead read', change({ beads: ['hq-cv-aaaaa'] }), ['ns/running']],
    ['a tracked bead changed; settled convoys are not polled', change({ beads: ['gt-aaa11'] }), ['ns/running', 'ns/completed-then-edited']],
    ['a tracked bead of a convoy still being created', change({ beads: ['gt-ccc33'] }), ['ns/creating']],
    ['a completed convoy\'s own id', change({ convoys: ['hq-cv-bbbbb', 'hq-cv-ccccc'] }), []],
    ['the town became (un)readable: every Convoy not settled', change({ all: true }), ['ns/running', 'ns/creating', 'ns/completed-then-edited']],
  ];
  for (const [name, c, keys] of table) test(name, () => assert.deepEqual(convoyKeysForChange(c, convoys), keys));
});
