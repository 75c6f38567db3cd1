import { randomBytes } from 'node:crypto';
import { type EventsV1Event, V1MicroTime } from '@kubernetes/client-node';
import type { GuardObject } from '../operator/ports.ts';
import { describeError } from '../operator/refs.ts';
import { GUARD_API_VERSION, type KubeContext } from './context.ts';

/** The API server rejects an Event note over 1 KiB. */
const MAX_NOTE_BYTES = 1024;

/**
 * An events.k8s.io/v1 Event about the guard. Events are for people reading `kubectl
 * describe`; losing one must never stop a revert, so failures are logged and swallowed.
 */
export async function emitEvent(
  ctx: KubeContext,
  guard: GuardObject,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
  instance: string,
): Promise<void> {
  const body: EventsV1Event = {
    // Named like client-go's recorder names them: object name, then something unique.
    metadata: { name: `${guard.name}.${eventSuffix()}`, namespace: guard.namespace },
    eventTime: new V1MicroTime(),
    reportingController: 'vakt.dev/operator',
    reportingInstance: instance,
    action: 'Reconcile',
    reason,
    note: truncate(message, MAX_NOTE_BYTES),
    type,
    regarding: {
      apiVersion: GUARD_API_VERSION,
      kind: 'ReleaseGuard',
      name: guard.name,
      namespace: guard.namespace,
      uid: guard.uid,
      resourceVersion: guard.resourceVersion,
    },
  };
  try {
    await ctx.events.createNamespacedEvent({ namespace: guard.namespace, body });
  } catch (error) {
    ctx.log.warn(
      { err: describeError(error), guard: guard.name, reason },
      'could not record an Event',
    );
  }
}

function eventSuffix(): string {
  return `${Date.now().toString(16)}${randomBytes(4).toString('hex')}`;
}

/** At most `max` bytes of UTF-8, cut at a character boundary, marked with an ellipsis. */
export function truncate(text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text;
  let cut = '';
  let bytes = 0;
  const budget = max - Buffer.byteLength('…');
  for (const char of text) {
    const size = Buffer.byteLength(char);
    if (bytes + size > budget) break;
    cut += char;
    bytes += size;
  }
  return `${cut}…`;
}
