/**
 * Calls `tick` every `everyMs` until the returned function is called. The probe's progress
 * runs on one, so a test can pass its own and tick when it chooses, never by waiting.
 */
export type Ticker = (everyMs: number, tick: () => void) => () => void;

export const intervalTicker: Ticker = (everyMs, tick) => {
  const timer = setInterval(tick, everyMs);
  // Progress alone never keeps the process alive.
  timer.unref();
  return () => clearInterval(timer);
};
