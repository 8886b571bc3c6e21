import type { RelaySocket } from './client.js';
import type { ProgressSink } from './progress.js';
import { queryOnce } from './query.js';
import { type Figure, latencyFigures } from './report.js';
import { perSecond, SampleBuffer } from './stats.js';

/** A named REQ shape; `filter` draws the next query's values. */
export interface QueryShape {
  name: string;
  filter(): object;
}

/** How long one shape runs: `count` queries at most, `durationSec` seconds at most. */
export interface ClosedLoopBounds {
  count: number;
  durationSec: number;
  timeoutMs: number;
}

/** The figures of one shape and how many queries were issued. */
export interface ShapeOutcome {
  figures: Figure[];
  issued: number;
}

/**
 * Closed loop on every socket: REQ → count the stored EVENTs → EOSE → CLOSE, then the next
 * REQ, until `count` queries were issued or `durationSec` passed. Figures, named after the
 * shape: time to EOSE p50/p90/p99, queries/s over the wall time, mean events per answer, and
 * failed queries (CLOSED or timed out) when there were any.
 */
export async function measureShape(
  sockets: readonly RelaySocket[],
  shape: QueryShape,
  bounds: ClosedLoopBounds,
  progress: ProgressSink,
): Promise<ShapeOutcome> {
  const times = new SampleBuffer();
  let issued = 0;
  let events = 0;
  let failed = 0;
  const deadline = performance.now() + bounds.durationSec * 1000;
  progress.start(`req ${shape.name}`, Number.isFinite(bounds.count) ? bounds.count : 0);
  const t0 = performance.now();
  await Promise.all(
    sockets.map(async (socket) => {
      while (issued < bounds.count && performance.now() < deadline && socket.open) {
        issued++;
        const a = await queryOnce(socket, [shape.filter()], bounds.timeoutMs, false);
        if (a.timedOut || a.closedReason !== undefined) failed++;
        else times.push(a.ms);
        events += a.count;
        progress.update(times.length + failed);
      }
    }),
  );
  const wall = performance.now() - t0;
  progress.finish();
  const ok = times.length;
  const figures: Figure[] = [
    ...latencyFigures(`${shape.name} EOSE`, times.summary()),
    { figure: `${shape.name} rate`, value: perSecond(ok, wall), unit: 'queries/s' },
    {
      figure: `${shape.name} events/query`,
      value: ok + failed > 0 ? events / (ok + failed) : 0,
      unit: 'events',
    },
  ];
  if (failed > 0) figures.push({ figure: `${shape.name} failed`, value: failed, unit: 'queries' });
  return { figures, issued };
}
