import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { DEFAULT_MESSAGE, explainIssues, formatPath } from '../policy/issues.ts';
import { formatProblem, offsetOf, syntaxProblems } from '../policy/load.ts';

/**
 * Which decisions the operator announces, to whom. The file (`vakt operator
 * --notifications FILE`, rendered by the chart from `notifications:` values) names each
 * sink's kind, its events and the file holding its webhook URL: a mounted Secret key, since
 * the URL is itself the credential. The URL is never in this file, a log or an error.
 */

/** The decisions a sink can be told of: the Event reasons they are recorded under. */
export const NOTIFY_EVENTS = [
  'Reverted',
  'RolledBack',
  'LeakOnStable',
  'Blocked',
  'Promoted',
  'Baked',
] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

export const SINK_TYPES = ['slack', 'teams', 'webhook'] as const;
export type SinkType = (typeof SINK_TYPES)[number];

/** A sink's name labels logs and metrics and names its file: a Kubernetes name. */
export const SinkName = z
  .string()
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, {
    message: 'expected a name: lower-case letters, digits and -',
  });

export const SinkEvents = z
  .array(z.enum(NOTIFY_EVENTS))
  .min(1)
  .describe(`events sent to this sink (default all: ${NOTIFY_EVENTS.join(', ')})`);

const Sink = z.strictObject({
  name: SinkName,
  type: z.enum(SINK_TYPES).describe('slack, teams (Workflows or incoming webhook) or webhook'),
  urlFile: z.string().min(1).describe('file whose content is the webhook URL'),
  events: SinkEvents.default([...NOTIFY_EVENTS]),
});
export type Sink = z.infer<typeof Sink>;

export const NotificationConfig = z.strictObject({
  sinks: z
    .array(Sink)
    .default([])
    .refine((sinks) => new Set(sinks.map((s) => s.name)).size === sinks.length, {
      message: 'sink names must differ',
    }),
  attempts: z.int().min(1).max(10).default(3).describe('tries per notification and sink'),
  timeoutSeconds: z.number().gt(0).max(120).default(10).describe('limit of each try'),
  queueSize: z
    .int()
    .min(1)
    .max(10_000)
    .default(100)
    .describe('notifications waiting per sink; more are dropped and counted'),
});
export type NotificationConfig = z.infer<typeof NotificationConfig>;

export class NotificationConfigError extends Error {
  override name = 'NotificationConfigError';
}

/** Validates the file's text: the first problem as `FILE:LINE:COL path: message`. */
export function parseNotificationConfig(text: string, file: string): NotificationConfig {
  const lines = new LineCounter();
  const fail = (offset: number, path: string, message: string): never => {
    const { line, col } = lines.linePos(offset);
    throw new NotificationConfigError(formatProblem({ file, line, col, path, message }));
  };
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const [syntax] = syntaxProblems([doc], (offset, path, message) => {
    const { line, col } = lines.linePos(offset);
    return { file, line, col, path, message };
  });
  if (syntax) throw new NotificationConfigError(formatProblem(syntax));
  const data: unknown = doc.toJS({ maxAliasCount: 100 }) ?? {};
  const parsed = NotificationConfig.safeParse(data, { error: () => DEFAULT_MESSAGE });
  if (parsed.success) return parsed.data;
  const [first] = explainIssues(parsed.error.issues, data, NotificationConfig);
  if (!first) return fail(0, '', 'not a notifications configuration');
  return fail(offsetOf(doc, first.path, first.anchor), formatPath(first.path), first.message);
}

/**
 * Reads the file and checks that every sink's URL file holds an http(s) URL, so a missing
 * or mistyped Secret key is said at start, not at the first revert.
 */
export async function loadNotificationConfig(file: string): Promise<NotificationConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new NotificationConfigError(`--notifications: cannot read ${file} (${codeOf(error)})`);
  }
  const config = parseNotificationConfig(text, file);
  for (const sink of config.sinks) await readWebhookUrl(sink);
  return config;
}

/**
 * The sink's URL, read afresh (a rotated Secret reaches a mounted file without a restart).
 * Errors name the sink and the file, never the content.
 */
export async function readWebhookUrl(sink: Pick<Sink, 'name' | 'urlFile'>): Promise<URL> {
  let text: string;
  try {
    text = await readFile(sink.urlFile, 'utf8');
  } catch (error) {
    throw new NotificationConfigError(
      `sink ${sink.name}: cannot read its URL file ${sink.urlFile} (${codeOf(error)})`,
    );
  }
  let url: URL | undefined;
  try {
    url = new URL(text.trim());
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new NotificationConfigError(
      `sink ${sink.name}: ${sink.urlFile} does not hold an http(s) URL`,
    );
  }
  return url;
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'unreadable';
}
