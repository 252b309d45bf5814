/**
 * A fixed log-scale histogram of run times, so percentiles can be read back from summed per-minute buckets
 * (counts add up across minutes, workers and processes; raw samples never leave the worker).
 *
 * Bin 0 holds times up to 1 ms; bin `i > 0` holds `(2^((i-1)/4), 2^(i/4)]` ms: four bins per doubling, each
 * about 19% wide, so a percentile read back is within about 10% of the true value. The last bin (2^30 ms, about
 * 12 days) takes everything longer. At most 121 bins exist, and a bucket stores only the bins it saw.
 */
export const BINS_PER_DOUBLING = 4;
export const LAST_BIN = 30 * BINS_PER_DOUBLING;

/** The bin a run time (ms) falls in. */
export function binOf(ms: number): number {
  if (!(ms > 1)) return 0;
  const bin = Math.ceil(Math.log2(ms) * BINS_PER_DOUBLING - 1e-9);
  return Math.min(bin, LAST_BIN);
}

/** The largest run time (ms) bin `i` holds. */
export function binUpper(bin: number): number {
  return 2 ** (bin / BINS_PER_DOUBLING);
}

/** The smallest run time (ms) bin `i` holds (exclusive; bin 0 starts at 0). */
export function binLower(bin: number): number {
  return bin === 0 ? 0 : 2 ** ((bin - 1) / BINS_PER_DOUBLING);
}

/**
 * The `q` quantile (0..1) of the run times counted in `bins` (bin → count), interpolated linearly inside the
 * bin that holds it; null when nothing was counted.
 */
export function quantile(bins: ReadonlyMap<number, number>, q: number): number | null {
  let total = 0;
  for (const count of bins.values()) total += count;
  if (total <= 0) return null;
  const rank = Math.min(total, Math.max(1, Math.ceil(q * total)));
  const sorted = [...bins.entries()].filter(([, count]) => count > 0).sort((a, b) => a[0] - b[0]);
  let below = 0;
  for (const [bin, count] of sorted) {
    if (below + count >= rank) {
      const lower = binLower(bin);
      const upper = binUpper(bin);
      return lower + ((upper - lower) * (rank - below)) / count;
    }
    below += count;
  }
  return binUpper(sorted[sorted.length - 1]![0]);
}
