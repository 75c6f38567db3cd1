import { stringify } from 'yaml';
import { z } from 'zod';
import { ReleaseGuardSpec, ReleaseGuardStatus } from './schema.ts';
import { type SchemaNode, toStructural } from './structural.ts';

/** Where the chart keeps the CRD; Helm installs files in crds/ once and never templates them. */
export const CRD_FILE = 'charts/vakt/crds/releaseguards.vakt.dev.yaml';
export const CRD_COMMAND = 'node scripts/write-crd.ts';

function openApi(schema: z.ZodType): SchemaNode {
  // io 'input': fields with defaults are optional, as people write them.
  const json = z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', cycles: 'throw' });
  return json as SchemaNode;
}

/**
 * A guard's target never changes. Pointed elsewhere, a guard would leave the Deployment it
 * guarded unguarded (no admission policy names it any more) without anyone deleting the
 * guard, which `admission.protectGuardDeletion` keeps for admins. The API server enforces
 * the rule for everyone: guarding another Deployment takes a new guard.
 */
export const TARGET_REF_RULES = [
  {
    rule: 'self.name == oldSelf.name',
    message:
      'spec.targetRef.name cannot change: create a ReleaseGuard for the other Deployment (and delete this one to stop guarding its target)',
  },
];

/** The CRD's OpenAPI schema: the zod schemas after the structural post-pass. */
export function releaseGuardOpenApiSchema(): SchemaNode {
  const root = toStructural({
    type: 'object',
    description:
      'ReleaseGuard: two-person approval, cross-tenant canary probes and automatic revert for a Deployment.',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      spec: openApi(ReleaseGuardSpec),
      status: openApi(ReleaseGuardStatus),
    },
    required: ['spec'],
  });
  // The API server owns the root metadata's schema: a CRD may say it is an object and
  // nothing more (only name and generateName may be restricted), or it is rejected.
  const properties = root.properties as Record<string, SchemaNode>;
  const spec = properties.spec as SchemaNode & { properties: Record<string, SchemaNode> };
  spec.properties.targetRef = {
    ...spec.properties.targetRef,
    'x-kubernetes-validations': TARGET_REF_RULES,
  };
  root.properties = {
    apiVersion: properties.apiVersion,
    kind: properties.kind,
    metadata: { type: 'object' },
    spec: properties.spec,
    status: properties.status,
  };
  return root;
}

/** The CustomResourceDefinition object (apiextensions.k8s.io/v1). */
export function releaseGuardCrd(): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: 'releaseguards.vakt.dev',
      labels: { 'app.kubernetes.io/name': 'vakt', 'app.kubernetes.io/part-of': 'vakt' },
    },
    spec: {
      group: 'vakt.dev',
      scope: 'Namespaced',
      names: {
        kind: 'ReleaseGuard',
        listKind: 'ReleaseGuardList',
        plural: 'releaseguards',
        singular: 'releaseguard',
        shortNames: ['rg'],
        categories: ['vakt'],
      },
      versions: [
        {
          name: 'v1alpha1',
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
            { name: 'Stable', type: 'string', jsonPath: '.status.stable.revision' },
            { name: 'Candidate', type: 'string', jsonPath: '.status.candidate.revision' },
            { name: 'Approvals', type: 'integer', jsonPath: '.status.approval.count' },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: { openAPIV3Schema: releaseGuardOpenApiSchema() },
        },
      ],
    },
  };
}

/** The committed file's exact text: a header saying how to regenerate it, then YAML. */
export function releaseGuardCrdText(): string {
  const header = [
    '# Generated from src/release/schema.ts: do not edit by hand.',
    `# Regenerate with \`${CRD_COMMAND}\`; test/release-crd.test.ts fails while it is stale.`,
  ].join('\n');
  return `${header}\n${stringify(releaseGuardCrd(), { lineWidth: 0 })}`;
}
