import { type KindInfo, qualifiedName } from './kinds.ts';

/** A failure the fake answers with a Kubernetes `Status` body, as the real server does. */
export class KubeError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details: Record<string, unknown> | undefined;
  readonly headers: Record<string, string>;

  constructor(
    code: number,
    message: string,
    extra: {
      details?: Record<string, unknown>;
      headers?: Record<string, string>;
      reason?: string;
    } = {},
  ) {
    super(message);
    this.code = code;
    this.reason = extra.reason ?? REASONS[code] ?? 'Unknown';
    this.details = extra.details;
    this.headers = extra.headers ?? {};
  }

  toStatus(): Record<string, unknown> {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

function details(kind: KindInfo, name: string): Record<string, unknown> {
  return { name, group: kind.group, kind: kind.plural };
}

export function notFound(kind: KindInfo, name: string): KubeError {
  return new KubeError(404, `${qualifiedName(kind)} "${name}" not found`, {
    details: details(kind, name),
  });
}

export function alreadyExists(kind: KindInfo, name: string): KubeError {
  return new KubeError(409, `${qualifiedName(kind)} "${name}" already exists`, {
    details: details(kind, name),
    reason: 'AlreadyExists',
  });
}

export function conflict(kind: KindInfo, name: string): KubeError {
  return new KubeError(
    409,
    `Operation cannot be fulfilled on ${qualifiedName(kind)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { details: details(kind, name) },
  );
}

export function invalid(kind: KindInfo, name: string, field: string, why: string): KubeError {
  return new KubeError(422, `${kind.kind} "${name}" is invalid: ${field}: ${why}`, {
    details: {
      ...details(kind, name),
      causes: [{ reason: 'FieldValueInvalid', message: why, field }],
    },
  });
}

export function badRequest(message: string): KubeError {
  return new KubeError(400, message);
}
