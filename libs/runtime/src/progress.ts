/** A progress line on stderr, so stdout stays clean for results (the bench's table, the CLI's export). */

/** Receives progress of one phase; `Progress.silent` ignores everything. */
export interface ProgressSink {
  /** Starts a phase of `total` steps (0 when unknown). */
  start(label: string, total: number): void;
  /** Moves the current phase to `done` steps. */
  update(done: number): void;
  /** Ends the current phase, printing its final state. */
  finish(note?: string): void;
}

const BAR_WIDTH = 24;
const TTY_INTERVAL_MS = 100;
const PLAIN_INTERVAL_MS = 5000;

/**
 * Renders phases as a bar on a TTY (redrawn at most every 100 ms) or as a plain line every
 * 5 s otherwise, so logs of CI runs stay short.
 */
export class Progress implements ProgressSink {
  /** A sink that prints nothing. */
  static readonly silent: ProgressSink = { start() {}, update() {}, finish() {} };

  private label = '';
  private total = 0;
  private done = 0;
  private startedAt = 0;
  private lastDraw = 0;

  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {}

  start(label: string, total: number): void {
    this.label = label;
    this.total = total;
    this.done = 0;
    this.startedAt = performance.now();
    this.lastDraw = 0;
    this.draw(true);
  }

  update(done: number): void {
    this.done = done;
    this.draw(false);
  }

  finish(note?: string): void {
    const secs = ((performance.now() - this.startedAt) / 1000).toFixed(1);
    const counted = this.total > 0 || this.done > 0;
    const count = counted ? `${this.done}${this.total > 0 ? `/${this.total}` : ''} in ` : '';
    const line = `${this.label}: ${count}${secs}s${note ? ` (${note})` : ''}`;
    this.out.write(this.out.isTTY ? `\r\x1b[2K${line}\n` : `${line}\n`);
  }

  private draw(force: boolean): void {
    const now = performance.now();
    const interval = this.out.isTTY ? TTY_INTERVAL_MS : PLAIN_INTERVAL_MS;
    if (!force && now - this.lastDraw < interval) return;
    this.lastDraw = now;
    const secs = (now - this.startedAt) / 1000;
    const rate = secs > 0 ? Math.round(this.done / secs) : 0;
    if (!this.out.isTTY) {
      if (!force) this.out.write(`${this.label}: ${this.done}/${this.total || '?'} (${rate}/s)\n`);
      return;
    }
    const frac = this.total > 0 ? Math.min(1, this.done / this.total) : 0;
    const filled = Math.round(frac * BAR_WIDTH);
    const bar = `${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}`;
    const pct = this.total > 0 ? `${(frac * 100).toFixed(0).padStart(3)}%` : '';
    this.out.write(`\r\x1b[2K${this.label} [${bar}] ${pct} ${this.done}/${this.total || '?'} ${rate}/s`);
  }
}
