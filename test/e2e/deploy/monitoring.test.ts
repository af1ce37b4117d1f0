// The Grafana dashboard and the PrometheusRule refer only to metrics the operator defines
// (src/observability/metrics.ts), with their real labels, and the dashboard shows every
// operator metric. A renamed metric or label breaks this test instead of a dashboard.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { createMetrics } from '../../../src/observability/metrics.ts';
import { DEPLOY } from './manifests.ts';

interface MetricInfo {
  readonly type: string;
  readonly labels: ReadonlySet<string>;
}

async function operatorMetrics(): Promise<Map<string, MetricInfo>> {
  const { registry } = createMetrics({ defaultMetrics: false });
  const out = new Map<string, MetricInfo>();
  for (const m of await registry.getMetricsAsJSON()) {
    // prom-client keeps a metric's label names on the metric object (not in its JSON).
    const labels = new Set((registry.getSingleMetric(m.name) as unknown as { labelNames: string[] }).labelNames);
    out.set(m.name, { type: String(m.type), labels });
  }
  return out;
}

/** Metric families referenced by a PromQL expression, with the label names it matches on. */
function references(expr: string): { metric: string; labels: string[] }[] {
  const out: { metric: string; labels: string[] }[] = [];
  for (const m of expr.matchAll(/\b(gastown_[a-z_]+)(\{([^}]*)\})?/g)) {
    const labels = [...(m[3] ?? '').matchAll(/([a-z_]+)\s*(=~|!=|!~|=)/g)].map((l) => l[1]!);
    out.push({ metric: m[1]!, labels });
  }
  return out;
}

function family(name: string): string {
  return name.replace(/_(bucket|sum|count)$/, '');
}

function checkExpr(expr: string, metrics: Map<string, MetricInfo>, where: string): string[] {
  const refs = references(expr);
  for (const r of refs) {
    const info = metrics.get(family(r.metric));
    assert.ok(info, `${where}: unknown metric ${r.metric}`);
    if (r.metric.endsWith('_bucket')) assert.equal(info.type, 'histogram', `${where}: ${r.metric}`);
    for (const l of r.labels) assert.ok(info.labels.has(l) || (l === 'le' && info.type === 'histogram'), `${where}: ${r.metric} has no label ${l}`);
  }
  // by (...) clauses may only group on known labels or the scrape's target labels.
  for (const m of expr.matchAll(/by \(([^)]*)\)/g)) {
    for (const l of m[1]!.split(',').map((s) => s.trim())) {
      const known = refs.some((r) => metrics.get(family(r.metric))?.labels.has(l)) || ['le', 'pod', 'namespace'].includes(l);
      assert.ok(known, `${where}: groups by unknown label ${l}`);
    }
  }
  return refs.map((r) => family(r.metric));
}

describe('monitoring assets', () => {
  test('the dashboard queries only defined metrics and labels, and shows every one of them', async () => {
    const metrics = await operatorMetrics();
    const dash = JSON.parse(readFileSync(join(DEPLOY, 'grafana', 'gastown-operator.json'), 'utf8')) as {
      uid: string; panels: { title: string; type: string; id: number; targets?: { expr: string }[] }[]; templating: { list: { name: string }[] };
    };
    assert.equal(dash.uid, 'gastown-operator');
    assert.deepEqual(dash.templating.list.map((v) => v.name), ['datasource', 'rig']);
    const ids = dash.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'unique panel ids');
    const used = new Set<string>();
    for (const p of dash.panels.filter((x) => x.type !== 'row')) {
      assert.ok((p.targets ?? []).length > 0, `${p.title} has queries`);
      for (const t of p.targets ?? []) for (const f of checkExpr(t.expr, metrics, p.title)) used.add(f);
    }
    assert.deepEqual([...metrics.keys()].filter((m) => !used.has(m)), [], 'every operator metric is on the dashboard');
  });

  test('the PrometheusRule alerts use defined metrics and carry severity and summary', async () => {
    const metrics = await operatorMetrics();
    const rule = parse(readFileSync(join(DEPLOY, 'prometheus', 'prometheusrule.yaml'), 'utf8')) as {
      kind: string; spec: { groups: { rules: { alert: string; expr: string; for: string; labels: { severity: string }; annotations: { summary: string; description: string } }[] }[] };
    };
    assert.equal(rule.kind, 'PrometheusRule');
    for (const r of rule.spec.groups.flatMap((g) => g.rules)) {
      if (r.alert !== 'GastownOperatorDown') assert.ok(checkExpr(r.expr, metrics, r.alert).length > 0, `${r.alert} uses operator metrics`);
      assert.match(r.for, /^\d+m$/);
      assert.ok(['warning', 'critical'].includes(r.labels.severity));
      assert.ok(r.annotations.summary && r.annotations.description);
    }
    const exprOf = (name: string): string => rule.spec.groups.flatMap((g) => g.rules).find((r) => r.alert === name)!.expr;
    assert.match(exprOf('GastownPolecatStuck'), /gastown_polecat_stuck/);
    assert.match(exprOf('GastownGtUnavailable'), /kind="Unavailable"/);
    assert.match(exprOf('GastownCircuitBreakerOpen'), /gastown_gt_circuit_breaker_state\{state="closed"\} == 0/);
    assert.match(exprOf('GastownReconcileErrorsRising'), /error_type!="conflict"/);
  });
});
