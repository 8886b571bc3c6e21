/** Settings for one relay start; `env` uses the relay's environment variable names. */
export interface StartOptions {
  env?: Record<string, string>;
}

/**
 * A running relay as the black-box suite sees it. The standalone harness and a future cluster
 * harness both return this shape, so one suite runs against either.
 */
export interface RelayUnderTest {
  /** WebSocket URL clients connect to, e.g. `ws://127.0.0.1:41234`. */
  readonly url: string;
  /** HTTP URL of the same listener (NIP-11, health). */
  readonly httpUrl: string;
  /**
   * The process id of a one-process relay (standalone); absent for a cluster, whose processes
   * are in `ClusterRelay.cluster`.
   */
  readonly pid?: number;
  /** Stops the relay (SIGTERM, then SIGKILL after a timeout) and removes what it created. */
  stop(): Promise<void>;
  /** Everything the relay process(es) wrote to stdout and stderr so far. */
  logs(): string;
  /**
   * Stops the relay gracefully and starts it again on the same storage. The returned handle
   * owns the storage from then on; this one becomes inert.
   */
  restart(): Promise<RelayUnderTest>;
}

/** Starts a fresh relay with empty storage. */
export type StartRelay = (opts?: StartOptions) => Promise<RelayUnderTest>;
