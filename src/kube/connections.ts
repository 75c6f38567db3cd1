import type { KubeConfig } from '@kubernetes/client-node';

/**
 * client-node 2.0 builds a new undici Agent for every API call whose cluster has TLS
 * settings (a CA, a client certificate, or skipTLSVerify): each call opens a connection
 * (and a TLS handshake) of its own, and the Agent with its keep-alive socket lingers until
 * the garbage collector finds it. An operator making thousands of calls held thousands of
 * sockets and a gigabyte of memory. Here every call made through `kc` shares one Agent.
 *
 * The shared Agent is replaced now and then, so certificate files rotated on disk (a
 * kubelet rotates client certificates) are read again; the old one closes once the calls
 * still using it, watches included, have finished.
 */

/** How long one Agent is shared before a fresh one is taken. */
const SHARE_FOR_MS = 10 * 60_000;

type Dispatcher = NonNullable<
  ReturnType<Parameters<KubeConfig['applySecurityAuthentication']>[0]['getDispatcher']>
>;

const shared = new WeakSet<KubeConfig>();

export function shareConnections(kc: KubeConfig, now: () => number = Date.now): KubeConfig {
  if (shared.has(kc)) return kc;
  shared.add(kc);
  const perCall = kc.applySecurityAuthentication.bind(kc);
  let current: { dispatcher: Dispatcher; since: number } | undefined;
  kc.applySecurityAuthentication = async (context) => {
    await perCall(context);
    const fresh = context.getDispatcher();
    // No TLS settings: client-node leaves the global dispatcher in place, which pools already.
    if (!fresh) return;
    const at = now();
    if (!current || at - current.since >= SHARE_FOR_MS) {
      // close() waits for requests in flight; nothing is cut off.
      void current?.dispatcher.close().catch(() => {});
      current = { dispatcher: fresh, since: at };
    }
    // An unused fresh Agent holds no socket yet: dropping it costs nothing.
    context.setDispatcher(current.dispatcher);
  };
  return kc;
}
