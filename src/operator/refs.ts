import type { GuardObject, GuardRef } from './ports.ts';

/** `namespace/name`: how the operator's maps and logs name a guard. */
export function guardKey(ref: GuardRef): string {
  return `${ref.namespace}/${ref.name}`;
}

/** An error's message for a log line (never the object: API errors carry request headers). */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** spec.targetRef.name, read loosely: the spec may not have been validated yet. */
export function targetNameOf(guard: GuardObject): string | undefined {
  const spec = guard.spec as { targetRef?: { name?: unknown } } | null | undefined;
  const name = spec?.targetRef?.name;
  return typeof name === 'string' && name ? name : undefined;
}
