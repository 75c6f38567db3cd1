import {
  type Configuration,
  createConfiguration,
  type KubeConfig,
  type ObservableMiddleware,
  ServerConfiguration,
  setHeaderMiddleware,
} from '@kubernetes/client-node';
import type { WriteFence } from '../operator/ports.ts';
import { beforeRequest, signalMiddleware } from './abort.ts';

/**
 * The one gate every write of the Cluster adapter passes (Deployments, Services, guard
 * status and finalizers, Events): all of them go through the API clients of KubeContext,
 * and those carry this middleware. A replica that is not leading sends no write at all;
 * each request carries the fence's signal, so work in flight when leadership ends is cut off.
 * Lease requests use clients of their own (lease.ts): taking the Lease is not leading yet.
 */

export class NotLeadingError extends Error {
  constructor() {
    super('not leading: this replica does not hold the leader Lease, so it writes nothing');
    this.name = 'NotLeadingError';
  }
}

export function fenceMiddleware(fence: WriteFence): ObservableMiddleware[] {
  return [
    beforeRequest((request) => {
      if (request.getHttpMethod() !== 'GET' && !fence.isLeading()) throw new NotLeadingError();
      return request;
    }),
    signalMiddleware(() => fence.signal()),
  ];
}

/** An API client like kc.makeApiClient's, whose requests pass the fence. */
export function fencedClient<T>(
  kc: KubeConfig,
  Api: new (configuration: Configuration) => T,
  fence: WriteFence,
): T {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig: no current cluster');
  return new Api(
    createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: kc },
      middleware: [setHeaderMiddleware('User-Agent', 'vakt-operator'), ...fenceMiddleware(fence)],
    }),
  );
}
