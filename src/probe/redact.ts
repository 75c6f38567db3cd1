/**
 * Credentials never leave the process: evidence carries only the headers that explain a
 * leak, session cookies are shown by name alone, and any known secret that still turns
 * up (a token echoed in a header, say) is blanked.
 */

const RELEVANT = [
  'cache-control',
  'age',
  'x-cache',
  'cf-cache-status',
  'x-cache-status',
  'x-proxy-cache',
  'vary',
  'via',
  'content-type',
  'date',
];

const NEVER_SHOWN = new Set(['authorization', 'proxy-authorization', 'cookie', 'x-api-key']);

export const REDACTED = '[redacted]';

export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4 && out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}

export function evidenceHeaders(
  headers: Readonly<Record<string, string>>,
  setCookies: readonly string[],
  matchedHeader: string | undefined,
  secrets: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of RELEVANT) {
    const value = headers[name];
    if (value !== undefined) out[name] = redactSecrets(value, secrets);
  }
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith('x-') && !NEVER_SHOWN.has(name) && !(name in out))
      out[name] = redactSecrets(value, secrets);
  }
  if (matchedHeader && !NEVER_SHOWN.has(matchedHeader) && matchedHeader !== 'set-cookie') {
    out[matchedHeader] = redactSecrets(headers[matchedHeader] ?? '', secrets);
  }
  if (setCookies.length > 0) {
    out['set-cookie'] = setCookies
      .map((c) => `${(c.split('=', 1)[0] ?? '').trim()}=${REDACTED}`)
      .join(', ');
  }
  return out;
}
