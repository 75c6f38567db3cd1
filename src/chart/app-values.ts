import { z } from 'zod';

/**
 * The chart's `app` block: the GitHub App (vakt app) as its own Deployment. Kept apart from
 * values-schema.ts so the App's settings read as one piece.
 */

const Port = z.int().min(1).max(65535);
const StringMap = z.record(z.string(), z.string());
const Quantity = z.union([z.string().min(1), z.number().min(0)]);
const SecretKey = z
  .string()
  .regex(/^[-._a-zA-Z0-9]+$/, { message: 'expected a Secret key' })
  .describe('a key of app.existingSecret');

export const AppValues = z
  .strictObject({
    enabled: z.boolean().describe('render the GitHub App Deployment, Service and ServiceAccount'),
    appId: z
      .union([
        z.int().min(1),
        z.string().regex(/^([1-9][0-9]*)?$/, { message: "expected the App's id, a number" }),
      ])
      .describe("the GitHub App's id; required when enabled"),
    existingSecret: z
      .string()
      .max(253)
      .regex(/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)?$/, {
        message: 'expected a Kubernetes name: lower-case letters, digits, - and .',
      })
      .describe(
        "Secret in the release namespace with the App's private key and webhook secret; required when enabled",
      ),
    privateKeyKey: SecretKey,
    webhookSecretKey: SecretKey,
    policyPath: z
      .string()
      .regex(/^[^/\s][^\s]*$/, { message: 'expected a path inside the repository' })
      .refine((p) => !p.split('/').some((s) => s === '..' || s === ''), {
        message: 'expected a path inside the repository, without .. or empty segments',
      })
      .describe('where each repository keeps its policy, read from the base branch'),
    replicaCount: z.int().min(1).max(10),
    port: Port,
    service: z.strictObject({
      type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']),
      port: Port,
      annotations: StringMap,
    }),
    extraEgress: z
      .array(z.looseObject({}))
      .describe("more NetworkPolicy egress rules for the App's pods"),
    resources: z.strictObject({
      requests: z.record(z.string(), Quantity),
      limits: z.record(z.string(), Quantity),
    }),
    heapMiB: z.int().min(32).describe('V8 heap cap in MiB (--max-old-space-size)'),
    serviceAccountAnnotations: StringMap,
    podAnnotations: StringMap,
    podLabels: StringMap,
    nodeSelector: StringMap,
    tolerations: z.array(z.looseObject({})),
    affinity: z.looseObject({}),
  })
  .describe('the GitHub App (vakt app): check runs on pull requests, deployment protection rules');
