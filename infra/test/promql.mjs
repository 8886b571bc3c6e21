// PromQL helpers for the monitoring tests: parse with Prometheus's own grammar (the lezer parser
// its web UI uses), so a syntax error fails the test, and list the metric names an expression
// selects. Not a test file; node --test loads it (it lives in test/) and finds no tests.
import { parser } from '@prometheus-io/lezer-promql';

/**
 * The metric names an expression reads (each VectorSelector's name). Throws on a syntax error,
 * naming the expression and the offset of the first error.
 */
export function metricNames(expr, where) {
  const tree = parser.parse(expr);
  const names = new Set();
  let error;
  tree.iterate({
    enter(node) {
      if (node.type.isError && error === undefined) error = node.from;
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') {
        names.add(expr.slice(node.from, node.to));
      }
    },
  });
  if (error !== undefined) {
    throw new Error(`${where}: PromQL syntax error at offset ${error}: ${expr}`);
  }
  if (names.size === 0) throw new Error(`${where}: selects no metric: ${expr}`);
  return names;
}

/**
 * A prometheus-adapter rule's metricsQuery as Prometheus would receive it: the adapter fills
 * `<<.Series>>`, `<<.LabelMatchers>>` and `<<.GroupBy>>` before sending it.
 */
export function expandAdapterQuery(template, series) {
  return template
    .replaceAll('<<.Series>>', series)
    .replaceAll('<<.LabelMatchers>>', 'namespace="nrelay"')
    .replaceAll('<<.GroupBy>>', 'namespace, pod');
}

/** The sample names of a Prometheus text page (`name{labels} value`), comments skipped. */
export function sampleNames(page) {
  const names = new Set();
  for (const line of page.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    names.add(line.split(/[{ ]/, 1)[0]);
  }
  return names;
}
