// The simulator's town state: what `<town>/.sim/state.json` holds. It is the simulator's own
// bookkeeping, deliberately not the real gt's storage (Dolt, tmux, git): every gt/bd command
// derives its real-format output from these records. Field names here are camelCase; the
// snake_case wire names live only in the command renderers.

/** A rig's operational status as `gt rig list` reports it. */
export type RigStatus = 'operational' | 'parked' | 'docked';

export interface SimRig {
  name: string;
  /** Beads prefix without the dash (`gt` for ids like `gt-abc12`). */
  prefix: string;
  gitUrl: string;
  addedAt: string;
  status: RigStatus;
  witnessRunning: boolean;
  refineryRunning: boolean;
  crew: string[];
}

/** Git dirt of a polecat worktree; drives git-state, check-recovery and the nuke refusal. */
export interface SimDirt {
  uncommittedFiles: string[];
  unpushedCommits: number;
  stashCount: number;
  /** Id of an open merge-request bead for this polecat's branch, if any. */
  openMr?: string;
  /** Work was pushed but never submitted to the merge queue (verdict NEEDS_MQ_SUBMIT). */
  needsMqSubmit?: boolean;
}

export interface SimPolecat {
  rig: string;
  name: string;
  /** Raw state as the agent bead holds it; an open set (working, idle, done, stuck, ...). */
  state: string;
  hookBead?: string;
  sessionRunning: boolean;
  /** False for a zombie: a session whose worktree is gone. */
  worktree: boolean;
  branch: string;
  createdAt: string;
  lastActivity: string;
  dirt: SimDirt;
  /** Self-reported cleanup status from the agent bead; undefined = fall back to the git check. */
  cleanupStatus?: string;
}

export interface SimBead {
  id: string;
  title: string;
  description: string;
  status: string;
  priority: number;
  issueType: string;
  assignee: string;
  owner: string;
  createdAt: string;
  updatedAt: string;
  closedAt?: string;
  closeReason?: string;
  labels: string[];
  /**
   * A wisp (beads' ephemeral table): merge requests are, as `gt mq submit` creates them with
   * `Ephemeral: true`. gt lists wisp MRs from SQL, so `gt mq list` prints them without
   * `closed_at` and `issue_type` (see gt/agents.ts); bd show finds them like any bead.
   */
  ephemeral?: boolean;
  /** For convoys: ids of the beads this convoy tracks (`tracks` dependencies). */
  tracks?: string[];
}

export interface SimMail {
  id: string;
  to: string;
  from: string;
  subject: string;
  body: string;
  sentAt: string;
  read: boolean;
}

/** A bead queued by scheduler-mode sling, dispatched later by `tick`/`dispatchScheduled`. */
export interface SimScheduled {
  bead: string;
  rig: string;
  contextId: string;
  queuedAt: string;
}

export interface SimSettings {
  /** The gt/bd release the town behaves like (see version.ts); absent in older state files: 1.2. */
  gtVersion?: '1.0' | '1.2';
  /** gt's `scheduler.max_polecats`: > 0 turns sling into queueing (scheduler mode). */
  maxPolecats: number;
  /** Simulates gastown #3558/#3581: convoy create succeeds but tracks 0 beads. */
  convoyTrackingFails: boolean;
}

export interface SimState {
  version: 1;
  townName: string;
  settings: SimSettings;
  rigs: Record<string, SimRig>;
  /** Keyed `<rig>/<name>`. */
  polecats: Record<string, SimPolecat>;
  /** Every bead of every prefix (rig beads, merge requests, hq- beads, convoys). */
  beads: Record<string, SimBead>;
  mail: SimMail[];
  scheduled: SimScheduled[];
}

export function emptyState(townName: string): SimState {
  return {
    version: 1,
    townName,
    settings: { maxPolecats: 0, convoyTrackingFails: false },
    rigs: {},
    polecats: {},
    beads: {},
    mail: [],
    scheduled: [],
  };
}

export function polecatKey(rig: string, name: string): string {
  return `${rig}/${name}`;
}
