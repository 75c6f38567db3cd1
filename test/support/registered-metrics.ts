import { createMetrics } from '../../src/operator/metrics.ts';

/**
 * The metrics the operator serves, read from the registry it builds (createMetrics, as
 * `vakt operator` does), never from a list kept by hand.
 */

export interface RegisteredMetric {
  name: string;
  type: string;
  labels: string[];
}

/** Labels a Prometheus scrape of the chart's ServiceMonitor adds to every series. */
export const TARGET_LABELS = [
  'job',
  'instance',
  'namespace',
  'pod',
  'service',
  'container',
  'endpoint',
];

export function registeredMetrics(): RegisteredMetric[] {
  return createMetrics()
    .registry.getMetricsAsArray()
    .map((metric) => ({
      name: metric.name,
      type: String(metric.type),
      labels: [...((metric as { labelNames?: readonly string[] }).labelNames ?? [])],
    }));
}

/** Series names as /metrics shows them, with their labels: a histogram has three. */
export function registeredSeries(): Map<string, string[]> {
  const series = new Map<string, string[]>();
  for (const { name, type, labels } of registeredMetrics()) {
    if (type === 'histogram') {
      series.set(`${name}_bucket`, [...labels, 'le']);
      series.set(`${name}_sum`, labels);
      series.set(`${name}_count`, labels);
    } else series.set(name, labels);
  }
  return series;
}
