import { parser } from '@prometheus-io/lezer-promql';

/**
 * What a PromQL expression reads, by Prometheus' own grammar (the parser behind its query
 * editor): the metric of every selector with the labels it matches on, and the labels it
 * groups by. Syntax errors are reported by offset.
 */

export interface Selector {
  metric: string;
  labels: string[];
}

export interface PromqlReading {
  errors: number[];
  selectors: Selector[];
  /** Labels in by (...) and on (...)/ignoring (...) clauses. */
  grouping: string[];
}

/** Grafana's own variables in a range, replaced by a duration PromQL knows. */
export function withoutGrafanaRanges(expr: string): string {
  return expr.replace(/\$__(rate_interval|interval|range)\b/g, '5m');
}

export function readPromql(expr: string): PromqlReading {
  const tree = parser.parse(expr);
  const reading: PromqlReading = { errors: [], selectors: [], grouping: [] };
  const text = (from: number, to: number) => expr.slice(from, to);
  tree.iterate({
    enter(node) {
      if (node.type.isError) reading.errors.push(node.from);
      if (node.name === 'VectorSelector') {
        const metric = node.node.getChild('Identifier');
        const labels = node.node
          .getChild('LabelMatchers')
          ?.getChildren('UnquotedLabelMatcher')
          .map((m) => m.getChild('LabelName'))
          .filter((n) => n !== null)
          .map((n) => text(n.from, n.to));
        reading.selectors.push({
          metric: metric ? text(metric.from, metric.to) : '',
          labels: labels ?? [],
        });
      }
      if (node.name === 'GroupingLabels') {
        for (const label of node.node.getChildren('LabelName')) {
          reading.grouping.push(text(label.from, label.to));
        }
      }
    },
  });
  return reading;
}
