import {
  type Attributes,
  type BatchObservableResult,
  type Histogram,
  LATENCY_BUCKETS_SECONDS,
  type Observable,
  REASON_LABELS,
  relayMeter,
} from '@nrelay/telemetry';
import type { GatewayStats, InboundKind, OutboundKind } from './stats.js';

/** Histograms the gateway records into on its paths (one record per event or per REQ). */
export interface GatewayHistograms {
  /** Seconds from acceptance (commit) to delivery on this gateway. */
  fanoutDelay: Histogram;
  /** Seconds from a REQ's stored query start to its EOSE. */
  reqEose: Histogram;
  /** Seconds from an EVENT frame's arrival to its OK, by `result` (`accepted` or the reason's prefix). */
  eventOk: Histogram;
}

let histograms: GatewayHistograms | undefined;

/** The process's gateway histograms (created on first use). */
export function gatewayHistograms(): GatewayHistograms {
  if (histograms === undefined) {
    const meter = relayMeter();
    const advice = { explicitBucketBoundaries: LATENCY_BUCKETS_SECONDS };
    histograms = {
      fanoutDelay: meter.createHistogram('nrelay_fanout_delay_seconds', {
        description: 'Time from an event being accepted (committed) to its delivery by this gateway',
        unit: 's',
        advice,
      }),
      reqEose: meter.createHistogram('nrelay_req_eose_seconds', {
        description: 'Time from a REQ starting its stored query to its EOSE',
        unit: 's',
        advice,
      }),
      eventOk: meter.createHistogram('nrelay_event_ok_seconds', {
        description:
          'Time from an EVENT arriving to its OK, by result (accepted, duplicate, invalid, blocked, error, ...)',
        unit: 's',
        advice,
      }),
    };
  }
  return histograms;
}

const INBOUND: readonly InboundKind[] = [
  'EVENT',
  'REQ',
  'CLOSE',
  'COUNT',
  'AUTH',
  'NEG-OPEN',
  'NEG-MSG',
  'NEG-CLOSE',
  'invalid',
  'binary',
  'too-large',
];
const OUTBOUND: readonly OutboundKind[] = [
  'EVENT',
  'OK',
  'EOSE',
  'CLOSED',
  'NOTICE',
  'AUTH',
  'COUNT',
  'NEG-MSG',
  'NEG-ERR',
];

// Attribute objects built once, so a scrape allocates no label sets.
const verbAttrs = (verbs: readonly string[]) => new Map(verbs.map((verb) => [verb, { verb }]));
const IN_ATTRS = verbAttrs(INBOUND);
const OUT_ATTRS = verbAttrs(OUTBOUND);
const reasonAttrs = (extra: Attributes) =>
  new Map(REASON_LABELS.map((reason) => [reason, { ...extra, reason } as Attributes]));
const ACCEPTED_ATTRS = reasonAttrs({ result: 'accepted' });
const REJECTED_ATTRS = reasonAttrs({ result: 'rejected' });
const CLOSED_ATTRS = reasonAttrs({});
const RATE_LIMITED_OK = { answer: 'OK' };
const RATE_LIMITED_CLOSED = { answer: 'CLOSED' };

/** The gateways of this process whose stats are exported (normally one). */
const sources = new Set<() => GatewayStats>();
let registered = false;

function register(): void {
  if (registered) return;
  registered = true;
  const meter = relayMeter();
  const gauge = (name: string, description: string) => meter.createObservableGauge(name, { description });
  const counter = (name: string, description: string) => meter.createObservableCounter(name, { description });
  const connections = gauge('nrelay_connections', 'Open WebSocket connections');
  const subscriptions = gauge('nrelay_subscriptions', 'Open subscriptions (stored phase and live)');
  const pending = gauge('nrelay_pending_submits', 'EVENTs handed to ingest and not answered yet');
  const slotsInUse = gauge('nrelay_query_slots_in_use', 'Stored queries (REQ stored phases, COUNTs) running');
  const queriesWaiting = gauge('nrelay_queries_waiting', 'Stored queries waiting for a query slot');
  const accepted = counter('nrelay_connections_accepted', 'WebSocket connections accepted');
  const rejected = counter(
    'nrelay_connections_rejected',
    'WebSocket upgrades refused by a rejectConnection hook',
  );
  const messagesIn = counter(
    'nrelay_messages_in',
    'Client messages received, by verb (or invalid/binary/too-large)',
  );
  const messagesOut = counter('nrelay_messages_out', 'Relay messages sent, by verb');
  const slow = counter('nrelay_slow_consumer_disconnects', 'Connections closed for not reading fast enough');
  const events = counter('nrelay_events', 'EVENTs answered, by result (accepted/rejected) and reason prefix');
  const closed = counter('nrelay_subscriptions_closed', 'CLOSED answers to REQ or COUNT, by reason prefix');
  const rateLimited = counter(
    'nrelay_rate_limited',
    'Answers with a rate-limited: reason, by answer (OK/CLOSED)',
  );
  const all: Observable[] = [
    connections,
    subscriptions,
    pending,
    slotsInUse,
    queriesWaiting,
    accepted,
    rejected,
    messagesIn,
    messagesOut,
    slow,
    events,
    closed,
    rateLimited,
  ];
  meter.addBatchObservableCallback((result: BatchObservableResult) => {
    const snapshots = [...sources].map((stats) => stats());
    const sum = (read: (s: GatewayStats) => number) => snapshots.reduce((n, s) => n + read(s), 0);
    result.observe(
      connections,
      sum((s) => s.connections),
    );
    result.observe(
      subscriptions,
      sum((s) => s.subscriptions),
    );
    result.observe(
      pending,
      sum((s) => s.pendingSubmits),
    );
    result.observe(
      slotsInUse,
      sum((s) => s.querySlotsInUse),
    );
    result.observe(
      queriesWaiting,
      sum((s) => s.queriesWaiting),
    );
    result.observe(
      accepted,
      sum((s) => s.connectionsAccepted),
    );
    result.observe(
      rejected,
      sum((s) => s.connectionsRejected),
    );
    result.observe(
      slow,
      sum((s) => s.slowConsumerDisconnects),
    );
    for (const [verb, attrs] of IN_ATTRS)
      result.observe(
        messagesIn,
        sum((s) => s.messagesIn[verb as InboundKind]),
        attrs,
      );
    for (const [verb, attrs] of OUT_ATTRS)
      result.observe(
        messagesOut,
        sum((s) => s.messagesOut[verb as OutboundKind]),
        attrs,
      );
    for (const label of REASON_LABELS) {
      const okTrue = sum((s) => s.answers.okTrue[label]);
      const okFalse = sum((s) => s.answers.okFalse[label]);
      const closedN = sum((s) => s.answers.closed[label]);
      if (okTrue > 0) result.observe(events, okTrue, ACCEPTED_ATTRS.get(label));
      if (okFalse > 0) result.observe(events, okFalse, REJECTED_ATTRS.get(label));
      if (closedN > 0) result.observe(closed, closedN, CLOSED_ATTRS.get(label));
    }
    result.observe(
      rateLimited,
      sum((s) => s.answers.okFalse['rate-limited']),
      RATE_LIMITED_OK,
    );
    result.observe(
      rateLimited,
      sum((s) => s.answers.closed['rate-limited']),
      RATE_LIMITED_CLOSED,
    );
  }, all);
}

/**
 * Exports a gateway's counters and gauges (read from `stats()` at scrape time, so the hot
 * paths only bump plain numbers). Returns the function that stops exporting them.
 */
export function exportGatewayStats(stats: () => GatewayStats): () => void {
  register();
  sources.add(stats);
  return () => {
    sources.delete(stats);
  };
}

/** What a gateway's fanout watchdog exports (see fanout-watchdog.ts). */
export interface FanoutWatchdogMetricsSource {
  /** Whether the live feed is lost now (within the grace or past it). */
  lost(): boolean;
  /** Connections closed because the live feed was lost, so far. */
  closes(): number;
}

const watchdogs = new Set<FanoutWatchdogMetricsSource>();
let watchdogsRegistered = false;

/**
 * Exports `nrelay_fanout_lost` (1 while a gateway's live feed is lost) and
 * `nrelay_fanout_loss_disconnects` (connections closed for it). Returns the function that stops.
 */
export function exportFanoutWatchdogStats(source: FanoutWatchdogMetricsSource): () => void {
  if (!watchdogsRegistered) {
    watchdogsRegistered = true;
    const meter = relayMeter();
    const lost = meter.createObservableGauge('nrelay_fanout_lost', {
      description:
        '1 while this gateway has lost its live feed (fanout PINGs unanswered or the subscriber dropped)',
    });
    const closes = meter.createObservableCounter('nrelay_fanout_loss_disconnects', {
      description:
        'Connections closed (CLOSED, NOTICE, 1001) because this gateway lost its live feed past the grace',
    });
    meter.addBatchObservableCallback(
      (result) => {
        let [anyLost, closed] = [0, 0];
        for (const w of watchdogs) {
          if (w.lost()) anyLost = 1;
          closed += w.closes();
        }
        result.observe(lost, anyLost);
        result.observe(closes, closed);
      },
      [lost, closes],
    );
  }
  watchdogs.add(source);
  return () => {
    watchdogs.delete(source);
  };
}
