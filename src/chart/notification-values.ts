import { z } from 'zod';
import { NOTIFY_EVENTS, SINK_TYPES, SinkEvents, SinkName } from '../notify/config.ts';

/**
 * `notifications:` of the chart's values. The chart renders them into the operator's
 * notifications file (src/notify/config.ts) and mounts each sink's Secret key beside it:
 * the webhook URL is a credential, so values only name where it is.
 */

const SecretName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, {
    message: 'expected a Secret name: lower-case letters, digits, - and .',
  });

const SecretKey = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[-._a-zA-Z0-9]+$/, { message: 'expected a Secret key: letters, digits, -, _ and .' });

const SinkValues = z.strictObject({
  name: SinkName.describe('labels logs and vakt_notifications_total{sink}; unique'),
  type: z
    .enum(SINK_TYPES)
    .describe('slack, teams (Workflows or incoming webhook) or webhook (JSON)'),
  secretName: SecretName.describe('Secret in the release namespace holding the webhook URL'),
  secretKey: SecretKey.describe('the key of secretName whose value is the URL'),
  events: SinkEvents.optional().describe(
    `events sent to this sink; absent: all (${NOTIFY_EVENTS.join(', ')})`,
  ),
});

export const NotificationValues = z
  .strictObject({
    sinks: z.array(SinkValues).describe('where decisions are announced; empty: nowhere'),
    attempts: z.int().min(1).max(10).describe('tries per notification and sink'),
    timeoutSeconds: z.number().gt(0).max(120).describe('limit of each try, in seconds'),
    queueSize: z
      .int()
      .min(1)
      .max(10_000)
      .describe('notifications waiting per sink; more are dropped, logged and counted'),
  })
  .describe('Slack, Microsoft Teams and JSON webhook notifications of decisions');
