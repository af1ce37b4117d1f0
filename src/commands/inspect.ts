// `gastown-operator inspect`: reads the town through the gt client and prints what the
// operator will see — rigs, polecats, convoys with progress — as a table or as JSON.
//
// Guarantees: three batched reads (rig list, polecat list --all, convoy list), whatever the
// size of the town; a gt failure is reported as one line naming the error kind, with a
// non-zero exit, never as an empty town (an error is not emptiness).
//
// Machine output (`--json`) keeps gt's raw value of every open enum in its field and says
// beside it, in `<field>Known`, whether the operator recognises it; only the human tables
// mark an unrecognised value as `unknown(<raw>)`.
import { CONVOY_STATUSES, POLECAT_STATES, RIG_STATES, SERVICE_STATES, isRecognized, type GtClient } from '../gt/index.ts';
import type { ConvoyListItem, PolecatListItem, Rig } from '../gt/index.ts';

export interface InspectView {
  readonly rigs: ReadonlyArray<{
    name: string; status: string; statusKnown: boolean; witness: string; witnessKnown: boolean;
    refinery: string; refineryKnown: boolean; polecats: number; crew: number;
  }>;
  readonly polecats: ReadonlyArray<{
    rig: string; name: string; state: string; stateKnown: boolean; bead: string | null; sessionRunning: boolean;
  }>;
  readonly convoys: ReadonlyArray<{
    id: string; title: string; status: string; statusKnown: boolean; completed: number; total: number; progress: string;
  }>;
}

/** Reads the town once (three calls in parallel through the shared runner). */
export async function readTownView(client: GtClient, signal?: AbortSignal): Promise<InspectView> {
  const opts = signal === undefined ? {} : { signal };
  const [rigs, polecats, convoys] = await Promise.all([
    client.rigList(opts), client.polecatListAll(opts), client.convoyList(opts),
  ]);
  return { rigs: rigs.map(rigRow), polecats: polecats.map(polecatRow), convoys: convoys.map(convoyRow) };
}

/** The human marker of a value the operator does not recognise (tables only). */
function cell(value: string, recognized: boolean): string {
  return recognized ? value : `unknown(${value})`;
}

function rigRow(rig: Rig): InspectView['rigs'][number] {
  return {
    name: rig.name,
    status: rig.status.raw, statusKnown: isRecognized(rig.status, RIG_STATES),
    witness: rig.witness.raw, witnessKnown: isRecognized(rig.witness, SERVICE_STATES),
    refinery: rig.refinery.raw, refineryKnown: isRecognized(rig.refinery, SERVICE_STATES),
    polecats: rig.polecatCount, crew: rig.crewCount,
  };
}

function polecatRow(p: PolecatListItem): InspectView['polecats'][number] {
  return {
    rig: p.rig, name: p.name, state: p.state.raw, stateKnown: isRecognized(p.state, POLECAT_STATES),
    bead: p.issue ?? null, sessionRunning: p.sessionRunning,
  };
}

function convoyRow(c: ConvoyListItem): InspectView['convoys'][number] {
  return {
    id: c.id, title: c.title, status: c.status.raw, statusKnown: isRecognized(c.status, CONVOY_STATUSES),
    completed: c.completed, total: c.total, progress: `${c.completed}/${c.total}`,
  };
}

/** Renders the view as aligned text tables, one section per kind. */
export function renderTables(view: InspectView): string {
  const sections = [
    section('RIGS', ['NAME', 'STATUS', 'WITNESS', 'REFINERY', 'POLECATS', 'CREW'],
      view.rigs.map((r) => [
        r.name, cell(r.status, r.statusKnown), cell(r.witness, r.witnessKnown), cell(r.refinery, r.refineryKnown), String(r.polecats), String(r.crew),
      ])),
    section('POLECATS', ['RIG', 'NAME', 'STATE', 'BEAD', 'SESSION'],
      view.polecats.map((p) => [p.rig, p.name, cell(p.state, p.stateKnown), p.bead ?? '-', p.sessionRunning ? 'running' : 'none'])),
    section('CONVOYS', ['ID', 'STATUS', 'PROGRESS', 'TITLE'],
      view.convoys.map((c) => [c.id, cell(c.status, c.statusKnown), c.progress, c.title])),
  ];
  return sections.join('\n');
}

function section(title: string, header: string[], rows: string[][]): string {
  if (rows.length === 0) return `${title}: none\n`;
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  const lines = all.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '));
  return `${title} (${rows.length})\n${lines.join('\n')}\n`;
}
