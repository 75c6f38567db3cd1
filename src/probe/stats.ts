/**
 * With no leak seen in n independent samples, the leak rate p is below
 * 1 - (1 - confidence)^(1/n) at the given confidence (the exact binomial bound
 * for zero events; "rule of three" ~ 3/n at 95%).
 */
export function leakRateUpperBound(samples: number, confidence: number): number {
  if (samples <= 0) return 1;
  return 1 - (1 - confidence) ** (1 / samples);
}

/** Samples needed before the bound can reach maxLeakRate. */
export function samplesNeeded(maxLeakRate: number, confidence: number): number {
  return Math.ceil(Math.log(1 - confidence) / Math.log(1 - maxLeakRate));
}
