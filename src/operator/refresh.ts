/**
 * Reads something every `everyMs` until stopped, calling `onChange` after each read that
 * says it changed. The timer does not keep the process alive. Shared by the sources the
 * operator keeps current without a watch (the platform ConfigMap, the admission policies).
 */
export interface Refresher {
  /** Starts the loop; the first read is the caller's. */
  start(read: () => Promise<boolean>, onChange: () => void): void;
  stop(): void;
}

export function refresher(everyMs: number): Refresher {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  return {
    start(read, onChange) {
      const loop = () => {
        if (stopped) return;
        timer = setTimeout(async () => {
          if (await read()) onChange();
          loop();
        }, everyMs);
        timer.unref?.();
      };
      loop();
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
