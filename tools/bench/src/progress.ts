// The bench and the nrelay CLI share one progress renderer (libs/runtime).
export { Progress, type ProgressSink } from '@nrelay/runtime';
