/** What the sweep runs (its plans) and what it measures (its points): shared by measure, report and plot. */
import type { Window } from './profile.js';

/** How big the sweeps are. */
export interface SweepPlan {
  fanoutGateways: number[];
  /** Subscriptions held by the load generator, the same total for every N. */
  subscribers: number;
  /** Authors the events are spread over; each subscriber follows one (subscribers/authors per event). */
  authors: number;
  /** Publish rate, events/s, fixed. */
  rate: number;
  fanoutSeconds: number;
  ingestWorkers: number[];
  ingestCount: number;
  ingestSeconds: number;
  /** Publisher connections of the ingest bench, and EVENTs each keeps in flight. */
  ingestPublishers: number;
  ingestInflight: number;
  queryServices: number[];
  readsCount: number;
  readsSeconds: number;
  readsClients: number;
}

/** The full sweep (≤ 20 min) and `--quick` (≤ 3 min). */
export const PLANS: Record<'full' | 'quick', SweepPlan> = {
  full: {
    fanoutGateways: [1, 2, 4, 8],
    subscribers: 2000,
    authors: 50,
    rate: 200,
    fanoutSeconds: 40,
    ingestWorkers: [1, 2, 4],
    ingestCount: 40_000,
    ingestSeconds: 30,
    ingestPublishers: 16,
    ingestInflight: 32,
    queryServices: [1, 2],
    readsCount: 10_000,
    readsSeconds: 15,
    readsClients: 16,
  },
  quick: {
    fanoutGateways: [1, 2],
    subscribers: 400,
    authors: 20,
    rate: 100,
    fanoutSeconds: 8,
    ingestWorkers: [1, 2],
    ingestCount: 6_000,
    ingestSeconds: 8,
    ingestPublishers: 8,
    ingestInflight: 16,
    queryServices: [1],
    readsCount: 2_000,
    readsSeconds: 3,
    readsClients: 8,
  },
};

/** One fanout measurement (N gateways). */
export interface FanoutPoint {
  gateways: number;
  subscribers: number;
  rate: number;
  events: number;
  delayP50: number;
  delayP99: number;
  deliveries: number;
  missing: number;
  duplicates: number;
  unexpected: number;
  okP50: number;
  okP99: number;
  /** Subscriptions each gateway held while publishing (its /metrics). */
  subscriptionsPerGateway: number[];
  /** % of one core per gateway, in order. */
  gatewayCpu: number[];
  window: Window;
  notes: string[];
}

/** One ingest measurement (M workers). */
export interface IngestPoint {
  workers: number;
  eventsPerSec: number;
  okP50: number;
  okP99: number;
  accepted: number;
  unanswered: number;
  /** From the workers' /metrics over the run: events per store transaction, ms per store write, ms a job waited in the queue. */
  batchMean: number;
  storeWriteMs: number;
  queueWaitMs: number;
  window: Window;
  notes: string[];
}

/** One query measurement (K services). */
export interface QueryPoint {
  services: number;
  /** queries/s per shape, by the bench's shape name. */
  rates: Record<string, number>;
  eoseP99: Record<string, number>;
  /** Mean of the shapes' rates. */
  meanRate: number;
  window: Window;
  notes: string[];
}

/** Everything the sweep measured. */
export interface SweepResult {
  plan: SweepPlan;
  fanout: FanoutPoint[];
  ingest: IngestPoint[];
  query: QueryPoint[];
}
