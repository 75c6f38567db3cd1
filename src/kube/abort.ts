import {
  Observable,
  type ObservableMiddleware,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';

/**
 * Per-request AbortSignals for client-node. Its generated clients take a signal only through
 * a middleware that sets it on the request; the race below also ends the wait when a step
 * before the fetch (loading credentials, say) ignores the signal.
 */

/** A middleware for client-node's generated clients, from a function run before each request. */
export function beforeRequest(
  pre: (request: RequestContext) => RequestContext | Promise<RequestContext>,
): ObservableMiddleware {
  return {
    pre: (request: RequestContext) => new Observable(Promise.resolve(request).then(pre)),
    post: (response: ResponseContext) => new Observable(Promise.resolve(response)),
  };
}

export function signalMiddleware(signal: () => AbortSignal): ObservableMiddleware {
  return beforeRequest((request) => {
    const own = signal();
    const before = request.getSignal();
    request.setSignal(before ? AbortSignal.any([before, own]) : own);
    return request;
  });
}

/** Options for one call that send it with `signal`. */
export function withSignal(signal: AbortSignal) {
  return {
    middleware: [signalMiddleware(() => signal)],
    middlewareMergeStrategy: 'append' as const,
  };
}

/** `promise`, or a rejection with the signal's reason as soon as it aborts. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
