import * as vega from 'vega';
import * as vegaLite from 'vega-lite';
import type { SweepResult } from './sweep.js';

/** One point of a panel: x, a series name and a value. */
interface Datum {
  x: number;
  series: string;
  value: number;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** A line chart with points, one colour per series (ADR 0025: Vega-Lite, rendered headless). */
function panel(title: string, xTitle: string, yTitle: string, values: Datum[], xs: number[]) {
  return {
    title,
    width: 230,
    height: 180,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: {
        field: 'x',
        type: 'quantitative',
        title: xTitle,
        scale: { type: 'log', base: 2 },
        axis: { values: xs },
      },
      y: { field: 'value', type: 'quantitative', title: yTitle, scale: { zero: true } },
      color: {
        field: 'series',
        type: 'nominal',
        title: null,
        legend: { orient: 'bottom', columns: 1, labelLimit: 260 },
      },
    },
  };
}

/** The sweep as one SVG: fanout delay, fanout CPU, ingest rate, query rate. */
export async function renderPlot(r: SweepResult): Promise<string> {
  const ns = r.fanout.map((p) => p.gateways);
  const delay: Datum[] = r.fanout.flatMap((p) => [
    { x: p.gateways, series: 'delay p50', value: p.delayP50 },
    { x: p.gateways, series: 'delay p99', value: p.delayP99 },
    { x: p.gateways, series: 'publisher OK p99', value: p.okP99 },
  ]);
  const cpu: Datum[] = r.fanout.flatMap((p) => [
    { x: p.gateways, series: 'CPU per gateway (mean)', value: mean(p.gatewayCpu) },
    { x: p.gateways, series: 'all gateways', value: p.gatewayCpu.reduce((a, b) => a + b, 0) },
    { x: p.gateways, series: 'Redis', value: p.window.redisCpu },
  ]);
  const contention: Datum[] = r.fanout.flatMap((p) => {
    const waits = Object.entries(p.window.wait)
      .filter(([label]) => label.startsWith('gateway'))
      .map(([, v]) => v);
    return [
      { x: p.gateways, series: 'gateway run-queue wait ms/s', value: mean(waits) },
      { x: p.gateways, series: 'machine busy %', value: p.window.machineBusy },
    ];
  });
  const ingest: Datum[] = r.ingest.flatMap((p) => [
    { x: p.workers, series: 'events/s', value: p.eventsPerSec },
  ]);
  const okP99: Datum[] = r.ingest.map((p) => ({ x: p.workers, series: 'OK p99 ms', value: p.okP99 }));
  const query: Datum[] = r.query.flatMap((p) =>
    Object.entries(p.rates).map(([shape, v]) => ({ x: p.services, series: `REQ/s ${shape}`, value: v })),
  );
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: { font: 'sans-serif', view: { stroke: null } },
    // Each panel has its own series: its own colours and legend.
    resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } },
    columns: 3,
    concat: [
      panel(`Fanout delay, ${r.plan.subscribers} subscribers`, 'gateways (N)', 'ms', delay, ns),
      panel('Fanout CPU', 'gateways (N)', '% of one core', cpu, ns),
      panel('Fanout: waiting for a core', 'gateways (N)', 'ms/s or %', contention, ns),
      panel(
        'Ingest',
        'ingest workers (M)',
        'events/s',
        ingest,
        r.ingest.map((p) => p.workers),
      ),
      panel(
        'Ingest OK latency',
        'ingest workers (M)',
        'ms',
        okP99,
        r.ingest.map((p) => p.workers),
      ),
      panel(
        'Queries (hot window off)',
        'query services (K)',
        'REQ/s',
        query,
        r.query.map((p) => p.services),
      ),
    ],
  };
  const compiled = vegaLite.compile(spec as vegaLite.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
