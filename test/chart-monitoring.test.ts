import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ALERT_NAMES } from '../src/chart/values-schema.ts';
import { type Rendered, renderChart } from './support/helm.ts';
import { validate } from './support/openapi.ts';
import { readPromql, withoutGrafanaRanges } from './support/promql.ts';
import { registeredSeries, TARGET_LABELS } from './support/registered-metrics.ts';

/**
 * The chart's PrometheusRule and Grafana dashboard: they render only when asked, the rule
 * is one the PrometheusRule CRD accepts, and every query parses and reads only metrics and
 * labels the operator's registry has, so a renamed metric or label fails here instead of
 * leaving an alert that can never fire.
 */

const ROOT = resolve(import.meta.dirname, '..');
const DASHBOARD_FILE = resolve(ROOT, 'charts/vakt/dashboards/vakt-operator.json');
const OPERATOR_DOC = readFileSync(resolve(ROOT, 'docs/operator.md'), 'utf8');
const CRD = parseAllDocuments(
  readFileSync(resolve(ROOT, 'test/fixtures/monitoring/prometheusrules-crd.yaml'), 'utf8'),
)
  .map((d) => d.toJS())
  .find((o) => o?.kind === 'CustomResourceDefinition');
const RULE_SCHEMA = CRD.spec.versions.find((v: { name: string }) => v.name === 'v1').schema
  .openAPIV3Schema;

const ON = ['monitoring.prometheusRule.enabled=true', 'monitoring.grafanaDashboard.enabled=true'];

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

const ofKind = (objects: Rendered[], kind: string) => objects.filter((o) => o.kind === kind);
const dashboardMaps = (objects: Rendered[]) =>
  ofKind(objects, 'ConfigMap').filter((o) => o.metadata.name.endsWith('-dashboard'));
const alertsOf = (rule: Rendered): AlertRule[] =>
  rule.spec.groups.flatMap((g: { rules: AlertRule[] }) => g.rules);

async function rendered(...sets: string[]): Promise<Rendered[]> {
  const result = await renderChart(...sets);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result.objects;
}

/** Problems with one query: syntax, and metrics or labels the operator does not have. */
function queryProblems(expr: string, series: Map<string, string[]>): string[] {
  const reading = readPromql(expr);
  const problems = reading.errors.map((at) => `syntax error at ${at}: ${expr.slice(at, at + 30)}`);
  const known = new Set(TARGET_LABELS);
  for (const { metric, labels } of reading.selectors) {
    const has = series.get(metric);
    if (!has) {
      problems.push(`${metric}: no such metric in the operator's registry`);
      continue;
    }
    for (const label of has) known.add(label);
    for (const label of labels) {
      if (!has.includes(label) && !TARGET_LABELS.includes(label))
        problems.push(`${metric}: no label ${label}`);
    }
  }
  for (const label of reading.grouping) {
    if (!known.has(label)) problems.push(`grouped by ${label}, which no metric here has`);
  }
  if (reading.selectors.length === 0) problems.push('reads no metric');
  return problems;
}

/** GitHub's anchor for a Markdown heading. */
const anchor = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replace(/ /g, '-');
const DOC_ANCHORS = new Set(
  OPERATOR_DOC.split('\n')
    .filter((l) => /^#{1,6} /.test(l))
    .map((l) => anchor(l.replace(/^#+ /, ''))),
);

describe('chart monitoring, off by default', () => {
  it('renders neither a PrometheusRule nor a dashboard ConfigMap', async () => {
    const objects = await rendered();
    expect(ofKind(objects, 'PrometheusRule')).toEqual([]);
    expect(dashboardMaps(objects)).toEqual([]);
  });
});

describe('the PrometheusRule', () => {
  let rule: Rendered;
  let alerts: AlertRule[];
  const series = registeredSeries();

  beforeAll(async () => {
    const objects = await rendered(...ON, 'monitoring.prometheusRule.labels.release=kps');
    const rules = ofKind(objects, 'PrometheusRule');
    expect(rules).toHaveLength(1);
    rule = rules[0];
    alerts = alertsOf(rule);
  });

  it('is checked against the schema for real: what the CRD refuses is refused', () => {
    const bad = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name: 'x' },
      spec: {
        groups: [
          { name: 'g', rules: [{ alert: 'A', for: '2 hours', expr: 'up' }] },
          { name: '', rules: [{ alert: 'B', labels: { severity: 1 } }] },
          { rules: [], alerts: [] },
        ],
      },
    };
    expect(validate(bad, RULE_SCHEMA)).toEqual([
      expect.stringMatching(/groups\[0\]\.rules\[0\]\.for: "2 hours" does not match/),
      expect.stringMatching(/groups\[1\]\.name: shorter than 1/),
      expect.stringMatching(/groups\[1\]\.rules\[0\]\.expr: required/),
      expect.stringMatching(/groups\[1\]\.rules\[0\]\.labels\.severity: expected string/),
      expect.stringMatching(/groups\[2\]\.name: required/),
      expect.stringMatching(/groups\[2\]\.alerts: unknown field/),
    ]);
  });

  it('is valid against the PrometheusRule CRD schema, in the release namespace', () => {
    expect(rule.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(validate(rule, RULE_SCHEMA)).toEqual([]);
    expect(rule.metadata).toMatchObject({ name: 'vakt', namespace: 'vakt-system' });
    expect(rule.metadata.labels.release).toBe('kps');
  });

  it('has every alert the values name, once', () => {
    expect(alerts.map((a) => a.alert).sort()).toEqual([...ALERT_NAMES].sort());
  });

  it('gives each alert a severity, a summary, a description and a runbook section in docs/operator.md', () => {
    for (const alert of alerts) {
      expect(['critical', 'warning', 'info'], alert.alert).toContain(alert.labels.severity);
      expect(alert.annotations.summary, alert.alert).toMatch(/\w/);
      expect(alert.annotations.description?.length, alert.alert).toBeGreaterThan(40);
      const url = new URL(alert.annotations.runbook_url ?? '');
      expect(url.pathname, alert.alert).toMatch(/\/docs\/operator\.md$/);
      expect(url.hash, alert.alert).toBe(`#${alert.alert.toLowerCase()}`);
      expect(
        DOC_ANCHORS.has(url.hash.slice(1)),
        `docs/operator.md has a ${alert.alert} section`,
      ).toBe(true);
    }
  });

  it('queries only metrics and labels the operator registers, in valid PromQL', () => {
    for (const alert of alerts) expect(queryProblems(alert.expr, series), alert.alert).toEqual([]);
  });

  it("scopes every selector to this install's series", () => {
    for (const alert of alerts) {
      for (const selector of readPromql(alert.expr).selectors) {
        expect(alert.expr, alert.alert).toContain(
          `${selector.metric}{namespace="vakt-system",job="vakt-metrics"`,
        );
      }
    }
  });

  it('names in its annotations only labels the expression keeps', () => {
    for (const alert of alerts) {
      const kept = readPromql(alert.expr).grouping;
      const used = Object.values(alert.annotations).flatMap((text) =>
        [...text.matchAll(/\$labels\.(\w+)/g)].map((m) => m[1]),
      );
      for (const label of used)
        expect(kept, `${alert.alert} uses $labels.${label}`).toContain(label);
    }
  });

  it('takes thresholds, durations, labels and the runbook page from the values', async () => {
    const objects = await rendered(
      ...ON,
      'monitoring.prometheusRule.guardBlockedFor=6h',
      'monitoring.prometheusRule.guardUndecidedFor=45m',
      'monitoring.prometheusRule.probeInconclusiveRatio=0.25',
      'monitoring.prometheusRule.window=1h',
      'monitoring.prometheusRule.alertLabels.team=platform',
      'monitoring.prometheusRule.runbookUrl=https://wiki.example.com/vakt/',
      'monitoring.selector=job="vakt"',
      'monitoring.prometheusRule.disabled={VaktReconcileErrors,VaktGitHubRateLimited}',
    );
    const byName = new Map(alertsOf(ofKind(objects, 'PrometheusRule')[0]).map((a) => [a.alert, a]));
    expect(byName.get('VaktGuardBlocked')?.for).toBe('6h');
    expect(byName.get('VaktGuardUndecided')?.for).toBe('45m');
    expect(byName.get('VaktProbeRunsInconclusive')?.expr).toMatch(/\[1h\]\)\)\s*> 0\.25$/);
    expect(byName.has('VaktReconcileErrors')).toBe(false);
    expect(byName.has('VaktGitHubRateLimited')).toBe(false);
    for (const alert of byName.values()) {
      expect(alert.labels.team).toBe('platform');
      expect(alert.annotations.runbook_url).toBe(
        `https://wiki.example.com/vakt#${alert.alert.toLowerCase()}`,
      );
      expect(alert.expr).not.toContain('namespace="vakt-system"');
      for (const { metric } of readPromql(alert.expr).selectors) {
        expect(alert.expr).toContain(`${metric}{job="vakt"`);
      }
    }
  });

  it('leaves out the admission alert when the chart installs no admission policies', async () => {
    const objects = await rendered(...ON, 'admission.enabled=false');
    const names = alertsOf(ofKind(objects, 'PrometheusRule')[0]).map((a) => a.alert);
    expect(names).not.toContain('VaktAdmissionPoliciesNotEnforced');
    expect(names).toContain('VaktLeakDetected');
  });

  it.each([
    ['monitoring.prometheusRule.guardBlockedFor=two hours', /guardBlockedFor/],
    ['monitoring.prometheusRule.probeFailureRatio=5', /probeFailureRatio/],
    ['monitoring.prometheusRule.disabled={VaktNoSuchAlert}', /disabled/],
    ['monitoring.selector={job="vakt"}', /selector/],
    ['monitoring.prometheusRule.enabeld=true', /enabeld/],
  ])('refuses %s', async (set, message) => {
    const result = await renderChart(...ON, set);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(message);
  });
});

describe('the Grafana dashboard', () => {
  const series = registeredSeries();
  const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8'));
  // biome-ignore lint/suspicious/noExplicitAny: dashboard JSON is checked field by field
  const panels: any[] = dashboard.panels.filter((p: { type: string }) => p.type !== 'row');

  it('has a uid, a title, and panels with targets', () => {
    expect(dashboard.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
    expect(dashboard.title).toMatch(/vakt/);
    expect(panels.length).toBeGreaterThan(8);
    const ids = dashboard.panels.map((p: { id: number }) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of panels) {
      expect(panel.title, `panel ${panel.id}`).toMatch(/\w/);
      expect(panel.gridPos, panel.title).toMatchObject({
        x: expect.any(Number),
        y: expect.any(Number),
        w: expect.any(Number),
        h: expect.any(Number),
      });
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
      const refIds = panel.targets.map((t: { refId: string }) => t.refId);
      expect(new Set(refIds).size, panel.title).toBe(refIds.length);
      expect(panel.datasource.uid, panel.title).toBe('$' + '{datasource}');
    }
    const variables = dashboard.templating.list.map((v: { name: string }) => v.name);
    expect(variables).toEqual(['datasource', 'namespace', 'job']);
  });

  it('queries only metrics and labels the operator registers, in valid PromQL', () => {
    for (const panel of panels) {
      for (const target of panel.targets) {
        const expr = withoutGrafanaRanges(target.expr);
        expect(queryProblems(expr, series), `${panel.title}: ${target.expr}`).toEqual([]);
        expect(target.expr, panel.title).toContain('namespace="$namespace", job=~"$job"');
      }
    }
  });

  it('shows every metric the operator registers', () => {
    const shown = new Set(
      panels.flatMap((p) =>
        p.targets.flatMap((t: { expr: string }) =>
          readPromql(withoutGrafanaRanges(t.expr)).selectors.map((s) =>
            s.metric.replace(/_(bucket|sum|count)$/, ''),
          ),
        ),
      ),
    );
    const histograms = [...series.keys()].filter((n) => n.endsWith('_bucket'));
    const base = new Set(
      [...series.keys()].map((n) =>
        histograms.includes(`${n.replace(/_(bucket|sum|count)$/, '')}_bucket`)
          ? n.replace(/_(bucket|sum|count)$/, '')
          : n,
      ),
    );
    expect([...base].filter((name) => !shown.has(name))).toEqual([]);
  });

  it('renders into a ConfigMap labelled for the Grafana sidecar, the file unchanged', async () => {
    const objects = await rendered(...ON);
    const [map, ...more] = dashboardMaps(objects);
    expect(more).toEqual([]);
    expect(map.metadata).toMatchObject({ name: 'vakt-dashboard', namespace: 'vakt-system' });
    expect(map.metadata.labels.grafana_dashboard).toBe('1');
    expect(JSON.parse(map.data['vakt-operator.json'])).toEqual(dashboard);
  });

  it('takes its label, annotations and namespace from the values', async () => {
    const objects = await rendered(
      ...ON,
      'monitoring.grafanaDashboard.labels.grafana_dashboard=null',
      'monitoring.grafanaDashboard.labels.dashboards=vakt',
      'monitoring.grafanaDashboard.annotations.grafana_folder=Releases',
      'monitoring.grafanaDashboard.namespace=monitoring',
    );
    const [map] = dashboardMaps(objects);
    expect(map.metadata.namespace).toBe('monitoring');
    expect(map.metadata.labels.dashboards).toBe('vakt');
    expect(map.metadata.labels.grafana_dashboard).toBeUndefined();
    expect(map.metadata.annotations).toEqual({ grafana_folder: 'Releases' });
  });
});
