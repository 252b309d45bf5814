/**
 * The job both libraries carry: a noop with a ~100-byte payload (the JSON of the data object below is about
 * 100 bytes; each library adds its own framing).
 */
export interface BenchData {
  user: string;
  email: string;
  n: number;
  /** Dispatch time (performance.timeOrigin + performance.now(), ms) for the latency figure; 0 otherwise. */
  t: number;
  tag: string;
}

export function benchData(n: number, t = 0): BenchData {
  return { user: 'u-0000000042', email: 'someone@example.com', n, t, tag: 'bench-noop' };
}

/** Milliseconds on a clock shared by every process of this machine, with sub-ms resolution. */
export const preciseNow = (): number => performance.timeOrigin + performance.now();
