// The session reconcile of one rig: gather -> decide (decide.ts) -> act -> write status.
//
// Gather: the Rig, its session pods, certificate Secrets and NetworkPolicy from the informer
// caches (selected by the session label), gt's polecats of the rig from the town snapshot, and
// the proxy's addresses (DNS) for the policy. Act, in an order that never leaks: retired
// serials are written to the Rig's status before their Secrets are deleted (a crash in between
// still denies them later); Secrets and pods are deleted; certificates are issued into new
// Secrets; serials are denied; the NetworkPolicy is created, replaced or deleted. Then the
// SessionCredentials condition and `status.execution` are written once, only if they changed.
//
// Memory only (like an informer's): the serials denied since the proxy was last seen down or
// restarted, so a restarted proxy (or operator) gets every remembered serial denied again; the
// proxy's server certificate as last seen (proxy-identity.ts: a new one means a restart, one
// our Secrets' CA did not issue means a new CA), read at most every proxyCheckIntervalMs; and
// the count of consecutive proxy failures per rig for the retry backoff.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ConditionType, decodeRig, gtRigName, Reason, type Rig, type RigStatus } from '../../api/index.ts';
import { CAPACITY_GATE, SESSION_LABELS } from '../../execution/session-pod.ts';
import type { Logger } from '../../observability/logger.ts';
import { silentLogger } from '../../observability/logger.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { ReconcileResult } from '../../runtime/controller.ts';
import { isConflict, isNotFound, refOf, type KubeClient, type KubeObject } from '../../runtime/k8s.ts';
import type { WithStatus } from '../../runtime/status.ts';
import { decodeOrThrow } from '../shared/controller.ts';
import type { EventSink, StatusSink } from '../shared/sinks.ts';
import { withCondition, withoutCondition } from '../shared/status.ts';
import type { TownView } from '../town-sync/snapshot.ts';
import { decideSessions, proxyRetryDelay, type Capacity, type PolicyObject, type SessionAction, type SessionDecision, type SessionObservation } from './decide.ts';
import { certificateSecret, rigNetworkPolicy, type SecretObject } from './objects.ts';
import { capacityGated, NETWORK_POLICY_KIND, POD_KIND, SECRET_KIND, type SessionPod } from './pod-state.ts';
import type { ProxyAdmin, ProxyAdminError } from './proxy-admin.ts';
import { staleCertificates, tlsProxyProbe, type ProxyProbe, type ProxyServerCertificate } from './proxy-identity.ts';

export interface SessionReconcilerDeps {
  readonly kube: KubeClient;
  readonly getRig: (key: string) => WithStatus<RigStatus> | undefined;
  readonly pods: () => readonly SessionPod[];
  readonly secrets: () => readonly SecretObject[];
  readonly policies: () => readonly PolicyObject[];
  readonly town: TownView;
  readonly proxy: ProxyAdmin;
  readonly status: StatusSink<RigStatus>;
  readonly events: EventSink;
  readonly clock: Clock;
  /** Namespace of session objects when the Rig names none (the operator's). */
  readonly defaultNamespace: string;
  /** Lifetime asked for each certificate (a Go duration). */
  readonly certificateTTL?: string;
  /** Cap of the retry backoff while the proxy admin API is down (default 30 s). */
  readonly proxyRetryMaxMs?: number;
  /** How often the proxy's server certificate is read to notice a restart or a new CA (default 30 s). */
  readonly proxyCheckIntervalMs?: number;
  /** Reads the proxy's server certificate (default: a TLS handshake with spec.execution.proxyURL). */
  readonly probe?: ProxyProbe;
  /** Resolves the proxy's host for the NetworkPolicy (default: DNS, every address). */
  readonly resolve?: (host: string) => Promise<string[]>;
  readonly logger?: Logger;
}

const DEFAULT_TTL = '720h';
const DEFAULT_PROXY_CHECK_MS = 30_000;

/** The proxy's server certificate as last seen, per proxy URL. */
interface ProxySeen {
  readonly checkedAt: number;
  readonly server?: ProxyServerCertificate;
  /** Server certificate changes seen so far (restarts of the proxy process). */
  readonly restarts: number;
}

async function resolveAll(host: string): Promise<string[]> {
  if (isIP(host) !== 0) return [host];
  const found = await lookup(host, { all: true });
  return found.map((a) => a.address);
}

/** What acting found out about the proxy. */
interface ProxyOutcome {
  unavailable?: ProxyAdminError;
  refused: string[];
  issued: number;
}

type RigObject = WithStatus<RigStatus>;

/** Session objects carry the exact gt rig name in an annotation (labels cannot carry `_`). */
function annotatedFor(gtName: string): (obj: KubeObject) => boolean {
  return (obj) => obj.metadata?.annotations?.[SESSION_LABELS.rig] === gtName;
}

export class SessionReconciler {
  readonly #deps: SessionReconcilerDeps;
  readonly #log: Logger;
  readonly #denied = new Map<string, Set<string>>();
  readonly #failures = new Map<string, number>();
  /** Per rig: uids of pods admitted (gate removed) whose update the cache has not shown yet. */
  readonly #admitting = new Map<string, Set<string>>();
  readonly #proxies = new Map<string, ProxySeen>();
  /** Per rig: the proxy restart count it last acted on. */
  readonly #restartsSeen = new Map<string, number>();
  /** Uids of certificate Secrets already reported as issued by a CA the proxy no longer uses. */
  readonly #staleReported = new Set<string>();
  /**
   * A CertificateRefused condition not written yet (its status write conflicted): the refused
   * pod is gone, so the next pass cannot see the refusal again, and the condition would be lost.
   */
  readonly #unwrittenRefusal = new Map<string, { readonly reason: string; readonly message: string }>();

  constructor(deps: SessionReconcilerDeps) {
    this.#deps = deps;
    this.#log = (deps.logger ?? silentLogger()).child({ component: 'session' });
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const obj = this.#deps.getRig(key);
    if (obj === undefined) {
      this.#denied.delete(key);
      this.#failures.delete(key);
      this.#admitting.delete(key);
      this.#restartsSeen.delete(key);
      this.#unwrittenRefusal.delete(key);
      return undefined;
    }
    const rig = decodeOrThrow(decodeRig, obj);
    const gtName = gtRigName(rig);
    const execution = rig.spec.execution;
    const podMode = execution?.mode === 'Pod';
    const mine = annotatedFor(gtName);
    const pods = this.#deps.pods().filter(mine);
    const secrets = this.#deps.secrets().filter(mine);
    const networkPolicy = this.#deps.policies().find(mine);
    const namespace = execution?.namespace ?? this.#deps.defaultNamespace;
    const proxyURL = podMode ? execution.proxyURL : undefined;
    const stale = proxyURL === undefined ? [] : await this.#checkProxy(key, proxyURL, obj, pods, secrets);
    const denied = this.#denied.get(key) ?? new Set<string>();
    this.#denied.set(key, denied);
    const admitting = this.#stillAdmitting(key, pods);
    const decision = decideSessions({
      rig, gtName, podMode, pods, secrets, networkPolicy,
      desiredPolicy: await this.#desiredPolicy(rig, gtName, namespace),
      polecats: this.#polecatsOf(gtName),
      denied,
      admitting,
      now: this.#deps.clock.now(),
    });
    // Remember the serials about to be retired before their Secrets go.
    let current: RigObject = obj;
    const before = obj.status?.execution?.retiredSerials ?? [];
    const growing = (decision.execution.retiredSerials ?? []).some((r) => !before.some((b) => b.serial === r.serial));
    if (growing) current = (await this.#deps.status.write(obj, { ...obj.status, execution: { ...obj.status?.execution, ...decision.execution } })) ?? obj;
    const outcome = await this.#act(rig.spec.execution?.proxyAdminURL, decision, denied, admitting);
    for (const e of decision.events) this.#deps.events.event(e.on ?? obj, e.type, e.reason, e.message);
    await this.#writeStatus(key, current, decision, { ...outcome, stale }, podMode || pods.length > 0, execution?.proxyAdminURL);
    return this.#requeue(key, outcome, decision, proxyURL !== undefined);
  }

  /**
   * What the proxy's server certificate says to this rig: after a restart (a count above the one
   * the rig last saw) its remembered serials are denied again and it says so on itself; the
   * returned pods hold certificates from a CA the proxy no longer uses.
   */
  async #checkProxy(key: string, proxyURL: string, rig: RigObject, pods: readonly SessionPod[], secrets: readonly SecretObject[]): Promise<string[]> {
    const seen = await this.#readProxy(proxyURL);
    const known = this.#restartsSeen.get(key);
    this.#restartsSeen.set(key, seen.restarts);
    if (known !== undefined && seen.restarts > known) {
      this.#denied.get(key)?.clear();
      const remembered = rig.status?.execution?.retiredSerials?.length ?? 0;
      this.#deps.events.event(rig, 'Warning', Reason.ProxyRestarted,
        `the gt proxy at ${proxyURL} restarted (it presents a new server certificate); its deny list is held in memory only, so the ${remembered} retired serial(s) remembered in status are denied again`);
    }
    return seen.server === undefined ? [] : this.#reportStale(staleCertificates(secrets, seen.server.certificate), pods, proxyURL);
  }

  /**
   * The proxy's server certificate, read again once proxyCheckIntervalMs has passed (one read
   * per proxy URL, shared by the rigs that use it); a new fingerprint counts a restart. A failed
   * read keeps what was last seen.
   */
  async #readProxy(proxyURL: string): Promise<ProxySeen> {
    const now = this.#deps.clock.now();
    const seen = this.#proxies.get(proxyURL);
    if (seen !== undefined && now - seen.checkedAt < (this.#deps.proxyCheckIntervalMs ?? DEFAULT_PROXY_CHECK_MS)) return seen;
    const result = await (this.#deps.probe ?? tlsProxyProbe)(proxyURL);
    let next: ProxySeen;
    if (!result.ok) {
      this.#log.debug({ proxy: proxyURL, reason: result.message }, 'cannot read the gt proxy\'s server certificate');
      next = { restarts: 0, ...seen, checkedAt: now };
    } else {
      const changed = seen?.server !== undefined && seen.server.fingerprint !== result.value.fingerprint;
      if (changed) this.#log.warn({ proxy: proxyURL, fingerprint: result.value.fingerprint }, 'the gt proxy restarted: its deny list is empty');
      next = { checkedAt: now, server: result.value, restarts: (seen?.restarts ?? 0) + (changed ? 1 : 0) };
    }
    this.#proxies.set(proxyURL, next);
    return next;
  }

  /** Names the pods whose certificates the proxy's CA did not issue; a Warning Event once per Secret. */
  #reportStale(stale: readonly SecretObject[], pods: readonly SessionPod[], proxyURL: string): string[] {
    const names: string[] = [];
    for (const secret of stale) {
      const owner = secret.metadata?.ownerReferences?.find((o) => o.kind === 'Pod');
      const pod = pods.find((p) => p.metadata?.uid === owner?.uid);
      names.push(`${secret.metadata?.namespace ?? ''}/${owner?.name ?? secret.metadata?.name ?? ''}`);
      const uid = secret.metadata?.uid ?? '';
      if (this.#staleReported.has(uid)) continue;
      this.#staleReported.add(uid);
      this.#deps.events.event(pod ?? secret, 'Warning', Reason.ProxyCAChanged,
        `the gt proxy at ${proxyURL} presents a certificate from another CA than the one that issued this session's certificate (Secret ${secret.metadata?.name ?? ''}): the proxy will refuse the session's calls; end the session (close its pane, or gt polecat nuke) and its next session gets a certificate from the new CA`);
    }
    const current = new Set(stale.map((s) => s.metadata?.uid ?? ''));
    for (const uid of this.#staleReported) if (!current.has(uid)) this.#staleReported.delete(uid);
    return names;
  }

  /** The pods admitted earlier whose cached copy still carries the gate (dropped once it does not). */
  #stillAdmitting(key: string, pods: readonly SessionPod[]): Set<string> {
    const previous = this.#admitting.get(key) ?? new Set<string>();
    const gated = new Set(pods.filter((p) => capacityGated(p) && p.metadata?.deletionTimestamp === undefined).map((p) => p.metadata?.uid ?? ''));
    const still = new Set([...previous].filter((uid) => gated.has(uid)));
    this.#admitting.set(key, still);
    return still;
  }

  #polecatsOf(gtName: string): ReadonlySet<string> | undefined {
    const snapshot = this.#deps.town.current();
    if (snapshot?.ok !== true || !snapshot.rigs.has(gtName)) return undefined;
    const names = new Set<string>(snapshot.rigRuntime.get(gtName)?.polecats ?? []);
    for (const item of snapshot.polecats.values()) if (item.rig === gtName) names.add(item.name);
    return names;
  }

  async #desiredPolicy(rig: Rig, gtName: string, namespace: string): Promise<SessionObservation['desiredPolicy']> {
    const execution = rig.spec.execution;
    if (execution?.mode !== 'Pod' || execution.networkPolicy?.enabled === false || execution.proxyURL === undefined) return undefined;
    const url = new URL(execution.proxyURL);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    let addresses: string[];
    try {
      addresses = await (this.#deps.resolve ?? resolveAll)(host);
    } catch (error) {
      return { ok: false, message: `cannot resolve the proxy host ${host} for the NetworkPolicy: ${error instanceof Error ? error.message : String(error)}` };
    }
    const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
    return rigNetworkPolicy({ rig, gtName, namespace, proxy: { addresses, port }, modelEndpoints: execution.networkPolicy?.modelEndpoints ?? [] });
  }

  async #act(adminURL: string | undefined, decision: SessionDecision, denied: Set<string>, admitting: Set<string>): Promise<ProxyOutcome> {
    const outcome: ProxyOutcome = { refused: [], issued: 0 };
    const order: SessionAction['type'][] = ['deleteSecret', 'deletePod', 'admit', 'issue', 'deny', 'applyNetworkPolicy', 'deleteNetworkPolicy'];
    const sorted = [...decision.actions].sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type));
    for (const action of sorted) {
      if (action.type === 'admit') await this.#admit(action.pod, admitting);
      else await this.#one(action, adminURL, denied, outcome);
    }
    return outcome;
  }

  /** Removes the capacity gate (an update at the cached resourceVersion: a stale copy is a conflict, retried). */
  async #admit(pod: SessionPod, admitting: Set<string>): Promise<void> {
    const spec = pod.spec as Record<string, unknown> & NonNullable<SessionPod['spec']>;
    const gates = (spec.schedulingGates ?? []).filter((g) => g.name !== CAPACITY_GATE);
    const { schedulingGates: _gates, ...rest } = spec;
    const next = { ...pod, spec: gates.length > 0 ? { ...rest, schedulingGates: gates } : rest };
    try {
      await this.#deps.kube.replace(POD_KIND, next);
      admitting.add(pod.metadata?.uid ?? '');
      this.#log.info({ pod: `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}` }, 'session pod admitted past the capacity gate');
    } catch (error) {
      if (!isConflict(error) && !isNotFound(error)) throw error;
    }
  }

  async #one(action: Exclude<SessionAction, { type: 'admit' }>, adminURL: string | undefined, denied: Set<string>, outcome: ProxyOutcome): Promise<void> {
    const { kube } = this.#deps;
    switch (action.type) {
      case 'deleteSecret':
        await kube.delete(SECRET_KIND, refOf(action.secret));
        return;
      case 'deletePod':
        await kube.delete(POD_KIND, refOf(action.pod), action.pod.metadata?.uid).catch((error: unknown) => {
          if (!isConflict(error)) throw error;
        });
        return;
      case 'issue':
        return this.#issue(action, adminURL, outcome);
      case 'deny': {
        if (adminURL === undefined || outcome.unavailable !== undefined) return;
        const result = await this.#deps.proxy.denyCert(adminURL, action.serial);
        if (result.ok) {
          denied.add(action.serial);
          this.#log.info({ serial: action.serial }, 'certificate serial denied');
        } else if (result.error.kind === 'Unavailable') {
          outcome.unavailable = result.error;
        }
        return;
      }
      case 'applyNetworkPolicy':
        if (action.current === undefined) await kube.create(NETWORK_POLICY_KIND, action.policy);
        else await kube.replace(NETWORK_POLICY_KIND, { ...action.policy, metadata: { ...action.policy.metadata, resourceVersion: action.current.metadata?.resourceVersion ?? '' } });
        return;
      case 'deleteNetworkPolicy':
        await kube.delete(NETWORK_POLICY_KIND, refOf(action.policy));
        return;
    }
  }

  async #issue(action: Extract<SessionAction, { type: 'issue' }>, adminURL: string | undefined, outcome: ProxyOutcome): Promise<void> {
    const { pod, identity } = action;
    const where = `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
    // Every pod left waiting says why (`kubectl describe pod`), though the proxy is asked once
    // per pass: after the first failure the others are not sent to a proxy known to be down.
    const waiting = (error: ProxyAdminError, why: string): void => {
      outcome.unavailable ??= error;
      this.#deps.events.event(pod, 'Warning', Reason.ProxyUnavailable, `no certificate for ${where} yet: ${why}; retrying`);
    };
    if (adminURL === undefined) return waiting({ kind: 'Unavailable', message: 'spec.execution.proxyAdminURL is not set' }, 'spec.execution.proxyAdminURL is not set');
    if (outcome.unavailable !== undefined) return waiting(outcome.unavailable, `the gt proxy admin API is unreachable (${outcome.unavailable.message})`);
    const result = await this.#deps.proxy.issueCert(adminURL, identity.rig, identity.polecat, this.#deps.certificateTTL ?? DEFAULT_TTL);
    if (!result.ok) {
      if (result.error.kind === 'Unavailable') return waiting(result.error, `the gt proxy admin API is unreachable (${result.error.message})`);
      outcome.refused.push(`${where}: ${result.error.message}`);
      this.#deps.events.event(pod, 'Warning', Reason.CertificateRefused, `the gt proxy refused a certificate for ${identity.rig}/${identity.polecat} (${result.error.message}); session pod deleted`);
      await this.#deps.kube.delete(POD_KIND, refOf(pod), pod.metadata?.uid).catch((error: unknown) => {
        if (!isConflict(error)) throw error;
      });
      return;
    }
    try {
      await this.#deps.kube.create(SECRET_KIND, certificateSecret(pod, identity, result.value));
    } catch (error) {
      // Never leave a minted certificate unaccounted for: deny it, then let the retry issue another.
      await this.#deps.proxy.denyCert(adminURL, result.value.serial);
      throw error;
    }
    outcome.issued += 1;
    this.#log.info({ pod: where, serial: result.value.serial }, 'certificate issued');
    this.#deps.events.event(pod, 'Normal', Reason.CertificateIssued, `certificate CN ${result.value.cn} issued into Secret ${pod.metadata?.name ?? ''}-cert`);
  }

  async #writeStatus(key: string, obj: RigObject, decision: SessionDecision, outcome: JudgedOutcome, relevant: boolean, adminURL: string | undefined): Promise<void> {
    const now = this.#deps.clock.now();
    let refusal: { readonly reason: string; readonly message: string } | undefined;
    const { retiredSerials: _drop, ...previous } = obj.status?.execution ?? {};
    let status: RigStatus = { ...obj.status, execution: { ...previous, ...decision.execution } };
    if (!relevant) {
      status = withoutCondition(status, ConditionType.SessionCredentials);
    } else {
      const cached = obj.status?.conditions?.find((x) => x.type === ConditionType.SessionCredentials);
      const previous = cached?.reason === Reason.CertificateRefused ? cached : (this.#unwrittenRefusal.get(key) ?? cached);
      const c = credentialsCondition(decision, outcome, adminURL, previous);
      status = withCondition(status, ConditionType.SessionCredentials, c.status, c.reason, c.message, now);
      refusal = c.reason === Reason.CertificateRefused ? c : undefined;
    }
    const capacity = decision.capacity;
    if (capacity === undefined) {
      status = withoutCondition(status, ConditionType.SessionCapacity);
    } else {
      const c = capacityCondition(capacity);
      status = withCondition(status, ConditionType.SessionCapacity, c.status, c.reason, c.message, now);
    }
    try {
      await this.#deps.status.write(obj, status);
      this.#unwrittenRefusal.delete(key);
    } catch (error) {
      if (!isConflict(error)) throw error;
      // A stale read: the Rig controller wrote meanwhile; the requeue writes again, the refusal too.
      if (refusal === undefined) this.#unwrittenRefusal.delete(key);
      else this.#unwrittenRefusal.set(key, refusal);
    }
  }

  #requeue(key: string, outcome: ProxyOutcome, decision: SessionDecision, watchProxy: boolean): ReconcileResult {
    const denied = this.#denied.get(key);
    if (outcome.unavailable !== undefined) {
      denied?.clear();
      const failures = (this.#failures.get(key) ?? 0) + 1;
      this.#failures.set(key, failures);
      return { requeueAfterMs: proxyRetryDelay(failures, this.#deps.proxyRetryMaxMs) };
    }
    this.#failures.delete(key);
    if (decision.actions.some((a) => a.type === 'issue' || a.type === 'deletePod')) return { requeueAfterMs: 1_000 };
    // A rig in Pod mode is looked at again to read the proxy's server certificate (a restart).
    return watchProxy ? { requeueAfterMs: this.#deps.proxyCheckIntervalMs ?? DEFAULT_PROXY_CHECK_MS } : undefined;
  }
}

/** SessionCapacity from the rig's admitted and waiting pods (pure). */
export function capacityCondition(c: Capacity): { status: 'True' | 'False'; reason: Reason; message: string } {
  const runs = `${c.running} of maxPods ${c.maxPods} session pods run`;
  if (c.running < c.maxPods) return { status: 'True', reason: Reason.BelowMaxPods, message: runs };
  return { status: 'False', reason: Reason.AtMaxPods, message: `${runs}; ${c.waiting} wait at the capacity gate (admitted oldest first when one ends)` };
}

/** What acting found out, plus the session pods whose certificates a CA the proxy left issued. */
interface JudgedOutcome extends ProxyOutcome {
  readonly stale?: readonly string[];
}

/**
 * SessionCredentials from what acting found out (pure). A refusal stays until a certificate is
 * issued again for the rig: its pod is deleted at once, so the next pass sees nothing to do, and
 * "every running pod has its certificate" would hide why the session never started.
 */
export function credentialsCondition(
  decision: SessionDecision, outcome: JudgedOutcome, adminURL: string | undefined,
  previous?: { readonly reason: string; readonly message: string },
): { status: 'True' | 'False'; reason: Reason; message: string } {
  const waiting = decision.actions.filter((a) => a.type === 'issue').length - outcome.issued;
  if (outcome.unavailable !== undefined) {
    const what = adminURL === undefined ? outcome.unavailable.message : `the gt proxy admin API ${adminURL} is unreachable: ${outcome.unavailable.message}`;
    return { status: 'False', reason: Reason.ProxyUnavailable, message: `${what}; ${Math.max(0, waiting)} session pod(s) wait for a certificate (retrying with backoff)` };
  }
  if (outcome.refused.length > 0) {
    return { status: 'False', reason: Reason.CertificateRefused, message: `the gt proxy refused certificates, their pods were deleted: ${outcome.refused.join('; ')}`.slice(0, 2048) };
  }
  if (outcome.stale !== undefined && outcome.stale.length > 0) {
    return { status: 'False', reason: Reason.ProxyCAChanged, message: `the gt proxy's CA is not the one that issued the certificates of ${outcome.stale.length} session pod(s); the proxy will refuse them until their sessions end: ${outcome.stale.join(', ')}`.slice(0, 2048) };
  }
  if (decision.problems.length > 0) return { status: 'False', reason: Reason.InvalidNetworkPolicy, message: decision.problems.join('; ') };
  if (previous?.reason === Reason.CertificateRefused && outcome.issued === 0) return { status: 'False', reason: Reason.CertificateRefused, message: previous.message };
  const pods = decision.execution.sessionPods ?? 0;
  return { status: 'True', reason: Reason.CertificatesIssued, message: `${pods} session pod(s); every running one has its certificate` };
}
