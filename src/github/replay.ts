import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';

/**
 * GitHub answered from a recording: a `fetch` that looks each request up among recorded
 * exchanges instead of going to the network. The demo runs the real fetcher over it, so
 * `vakt demo` decides through the same fetch, validation and evaluate() as `vakt gate`,
 * without a token and without leaving the process.
 */

const Exchange = z.strictObject({
  request: z.strictObject({
    method: z.enum(['GET', 'POST']),
    /** The path under the API root, without the query string. */
    path: z.string().startsWith('/'),
    /** For GraphQL: the variables that tell one query from another. */
    variables: z.record(z.string(), z.unknown()).optional(),
  }),
  response: z.strictObject({
    status: z.number().int().min(200).max(599),
    body: z.unknown(),
  }),
});
export type Exchange = z.infer<typeof Exchange>;

export const Recording = z.strictObject({
  /** What the recording shows, for whoever opens the file. */
  description: z.string(),
  exchanges: z.array(Exchange).min(1),
});
export type Recording = z.infer<typeof Recording>;

/**
 * A fetch for octokit's `request.fetch` that answers from `exchanges`. A request the
 * recording does not hold fails like an unreachable GitHub, naming the request, so a
 * stale recording shows up as an undecided verdict that says what is missing.
 */
export function replayFetch(exchanges: readonly Exchange[]): typeof fetch {
  return async (input, init) => {
    const { method, path, variables } = requestOf(input, init);
    const found = exchanges.find(
      ({ request }) =>
        request.method === method &&
        request.path === path &&
        (request.variables === undefined || isDeepStrictEqual(request.variables, variables)),
    );
    if (!found) {
      throw new Error(`the recording has no answer for ${method} ${path}`);
    }
    return new Response(JSON.stringify(found.response.body), {
      status: found.response.status,
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
  };
}

/** What a recording knows a request by: method, path, and GraphQL variables if any. */
export function requestOf(
  input: Parameters<typeof fetch>[0],
  init: Parameters<typeof fetch>[1],
): { method: string; path: string; variables?: Record<string, unknown> } {
  const url = new URL(input instanceof Request ? input.url : String(input));
  const method = (init?.method ?? 'GET').toUpperCase();
  const variables = graphqlVariables(init?.body);
  return { method, path: url.pathname, ...(variables && { variables }) };
}

function graphqlVariables(body: unknown): Record<string, unknown> | undefined {
  if (typeof body !== 'string') return undefined;
  try {
    return (JSON.parse(body) as { variables?: Record<string, unknown> }).variables;
  } catch {
    return undefined;
  }
}
