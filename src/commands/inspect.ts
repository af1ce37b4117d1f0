// `gastown-operator inspect`: reads the town through the gt client and prints what the
// operator will see — rigs, polecats, convoys with progress — as a table or as JSON.
//
// Guarantees: three batched reads (rig list, polecat list --all, convoy list), whatever the
// size of the town; a gt failure is reported as one line naming the error kind, with a
// non-zero exit, never as an empty town (an error is not emptiness).
import type { GtClient } from '../gt/index.ts';
import type { ConvoyListItem, OpenEnum, PolecatListItem, Rig } from '../gt/index.ts';

export interface InspectView {
  readonly rigs: ReadonlyArray<{
    name: string; status: string; witness: string; refinery: string; polecats: number; crew: number;
  }>;
  readonly polecats: ReadonlyArray<{
    rig: string; name: string; state: string; bead: string | null; sessionRunning: boolean;
  }>;
  readonly convoys: ReadonlyArray<{
    id: string; title: string; status: string; completed: number; total: number; progress: string;
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

function enumText<K extends string>(value: OpenEnum<K>): string {
  return value.kind === 'unknown' ? `unknown(${value.raw})` : value.kind;
}

function rigRow(rig: Rig): InspectView['rigs'][number] {
  return {
    name: rig.name, status: enumText(rig.status), witness: enumText(rig.witness),
    refinery: enumText(rig.refinery), polecats: rig.polecatCount, crew: rig.crewCount,
  };
}

function polecatRow(p: PolecatListItem): InspectView['polecats'][number] {
  return { rig: p.rig, name: p.name, state: enumText(p.state), bead: p.issue ?? null, sessionRunning: p.sessionRunning };
}

function convoyRow(c: ConvoyListItem): InspectView['convoys'][number] {
  return {
    id: c.id, title: c.title, status: enumText(c.status), completed: c.completed, total: c.total,
    progress: `${c.completed}/${c.total}`,
  };
}

/** Renders the view as aligned text tables, one section per kind. */
export function renderTables(view: InspectView): string {
  const sections = [
    section('RIGS', ['NAME', 'STATUS', 'WITNESS', 'REFINERY', 'POLECATS', 'CREW'],
      view.rigs.map((r) => [r.name, r.status, r.witness, r.refinery, String(r.polecats), String(r.crew)])),
    section('POLECATS', ['RIG', 'NAME', 'STATE', 'BEAD', 'SESSION'],
      view.polecats.map((p) => [p.rig, p.name, p.state, p.bead ?? '-', p.sessionRunning ? 'running' : 'none'])),
    section('CONVOYS', ['ID', 'STATUS', 'PROGRESS', 'TITLE'],
      view.convoys.map((c) => [c.id, c.status, c.progress, c.title])),
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
