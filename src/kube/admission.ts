import type { AdmissionRead, AdmissionReading } from '../operator/admission-state.ts';
import type { KubeContext, RawObject } from './context.ts';
import { isNetworkError, isNotFound, statusBody, statusOf, withRetry } from './errors.ts';

/**
 * Reads the chart's ValidatingAdmissionPolicies and their bindings by name (cluster-scoped,
 * admissionregistration.k8s.io/v1): 404 is missing; 403 and every other failure, after the
 * usual retries, is unreadable with the reason, never taken for "installed". Judging what
 * was read is admission-state.ts's job.
 */

const GROUP = 'admissionregistration.k8s.io';
const VERSION = 'v1';

export function readAdmission(
  ctx: KubeContext,
  names: readonly string[],
): Promise<AdmissionReading[]> {
  return Promise.all(
    names.map(async (name) => {
      const [policy, binding] = await Promise.all([
        readOne(ctx, 'validatingadmissionpolicies', name),
        readOne(ctx, 'validatingadmissionpolicybindings', name),
      ]);
      return { name, policy, binding };
    }),
  );
}

async function readOne(ctx: KubeContext, plural: string, name: string): Promise<AdmissionRead> {
  try {
    const object = (await withRetry(
      () => ctx.custom.getClusterCustomObject({ group: GROUP, version: VERSION, plural, name }),
      ctx.retry,
    )) as RawObject;
    return { state: 'found', spec: object.spec ?? {} };
  } catch (error) {
    if (isNotFound(error)) return { state: 'missing' };
    return { state: 'unreadable', why: why(error) };
  }
}

/**
 * The API server's own message (a 403 names the user and the verb it lacks), never the
 * exception's text, which carries response headers.
 */
function why(error: unknown): string {
  const status = statusOf(error);
  const message = statusBody(error)?.message;
  const text =
    typeof message === 'string' && message
      ? message
      : status !== undefined
        ? `HTTP ${status}`
        : isNetworkError(error)
          ? 'the API server did not answer'
          : 'the read failed';
  const prefixed = status === 403 && !/forbidden/i.test(text) ? `forbidden: ${text}` : text;
  return prefixed.length > 300 ? `${prefixed.slice(0, 297)}...` : prefixed;
}
