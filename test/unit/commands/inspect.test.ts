// `inspect`'s view of the town: machine output keeps gt's raw value of every open enum and says
// beside it whether the operator recognises it; the human tables mark unknown values.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readTownView, renderTables } from '../../../src/commands/inspect.ts';
import { convoy, fakeGt, polecat, rig } from '../controllers/town-sync-fixtures.ts';

function town(): ReturnType<typeof fakeGt> {
  const newer = rig('beta', 'maintenance');
  const withBlankWitness = { ...newer, witness: { kind: 'unknown' as const, raw: '' } };
  const closing = { ...convoy('hq-cv-bbbbb', ['gt-b']), status: { kind: 'unknown' as const, raw: 'archived' } };
  return fakeGt({
    rigs: [rig('alpha'), withBlankWitness],
    polecats: [polecat('alpha', 'furiosa', 'gt-a'), polecat('alpha', 'nux', undefined, 'review-needed')],
    convoys: [convoy('hq-cv-aaaaa', ['gt-a']), closing],
    beads: new Map(),
  });
}

describe('inspect view', () => {
  test('machine output keeps the raw value and says separately whether it is known', async () => {
    const view = await readTownView(town().client);
    const json = JSON.parse(JSON.stringify(view)) as typeof view;
    const nux = json.polecats.find((p) => p.name === 'nux');
    assert.deepEqual(nux && { state: nux.state, stateKnown: nux.stateKnown }, { state: 'review-needed', stateKnown: false });
    const furiosa = json.polecats.find((p) => p.name === 'furiosa');
    assert.deepEqual(furiosa && { state: furiosa.state, stateKnown: furiosa.stateKnown }, { state: 'working', stateKnown: true });
    const beta = json.rigs.find((r) => r.name === 'beta');
    assert.deepEqual(beta && [beta.status, beta.statusKnown, beta.witness, beta.witnessKnown, beta.refinery, beta.refineryKnown], ['maintenance', false, '', false, 'running', true]);
    assert.deepEqual(json.convoys.map((c) => [c.status, c.statusKnown]), [['open', true], ['archived', false]]);
    assert.ok(!JSON.stringify(json).includes('unknown('), 'no human marker in machine output');
  });

  test('the human tables keep the unknown(...) marker', async () => {
    const text = renderTables(await readTownView(town().client));
    assert.match(text, /^alpha\s+nux\s+unknown\(review-needed\)\s/m);
    assert.match(text, /^alpha\s+furiosa\s+working\s/m);
    assert.match(text, /^beta\s+unknown\(maintenance\)\s+unknown\(\)\s+running\s/m);
    assert.match(text, /^hq-cv-bbbbb\s+unknown\(archived\)\s/m);
  });
});
