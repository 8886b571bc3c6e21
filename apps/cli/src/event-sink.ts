import { type ParseLimits, parseClientMessage, type RawEvent } from '@nrelay/protocol';
import type { IngestRequest } from '@nrelay/seams/ingest';
import type { CliPipeline } from './cli-pipeline.js';
import { countAnswer, emptySummary, type WriteSummary } from './summary.js';

/** How many per-event messages a run prints before it only counts. */
const MAX_REPORTED = 1000;

/**
 * One event's JSON text judged by the relay's own parser (as the frame a client would send):
 * the event with its exact text, or the prefixed reason it is not one.
 */
export function parseEventText(text: string, limits: ParseLimits): RawEvent | string {
  const parsed = parseClientMessage(`["EVENT",${text}]`, limits);
  if (!parsed.ok) return parsed.error.reason;
  const [verb, raw] = parsed.message;
  return verb === 'EVENT' && typeof raw === 'object' ? raw : 'invalid: not an event';
}

/**
 * Hands events to the ingest pipeline with at most `window` unanswered at once (the pipeline
 * batches them into store transactions), and tallies the answers. Problems are reported with
 * the label the caller gave (a line number, an event id), the first thousand of them.
 */
export class EventSink {
  readonly summary: WriteSummary = emptySummary();
  #active = 0;
  #wake: (() => void) | undefined;
  #reported = 0;

  constructor(
    private readonly cli: CliPipeline,
    private readonly window: number,
    private readonly report: (message: string) => void,
    private readonly connectionId: string,
  ) {}

  /** Counts and reports an input that is not an event (it never reaches the pipeline). */
  invalid(label: string, reason: string): void {
    this.summary.invalid++;
    this.tell(`${label}: ${reason}`);
  }

  /** Submits one event; resolves once the window has room for the next. */
  async submit(event: RawEvent, label: string): Promise<void> {
    this.#active++;
    const request: IngestRequest = {
      v: 1,
      event,
      receivedAt: Date.now(),
      gatewayId: 'nrelay-cli',
      connectionId: this.connectionId,
      authedPubkeys: [],
    };
    this.cli.pipeline.process(request).then(
      (result) => this.#settle(label, result.ok, result.reason),
      (err: unknown) => this.#settle(label, false, `error: the ingest pipeline failed: ${String(err)}`),
    );
    if (this.#active >= this.window) await new Promise<void>((resolve) => (this.#wake = resolve));
  }

  /** Resolves once every submitted event is answered. */
  async drain(): Promise<void> {
    while (this.#active > 0) await new Promise<void>((resolve) => (this.#wake = resolve));
  }

  #settle(label: string, ok: boolean, reason: string): void {
    const outcome = countAnswer(this.summary, ok, reason);
    if (outcome === 'invalid' || outcome === 'failed') this.tell(`${label}: ${reason}`);
    this.#active--;
    if (this.#wake && this.#active <= this.window / 2) {
      const wake = this.#wake;
      this.#wake = undefined;
      wake();
    }
  }

  private tell(message: string): void {
    if (this.#reported < MAX_REPORTED) this.report(message);
    else if (this.#reported === MAX_REPORTED)
      this.report(`(more than ${MAX_REPORTED} messages: only counting now)`);
    this.#reported++;
  }
}
