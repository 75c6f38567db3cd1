import type { ProbeTenant } from './config.ts';
import type { PatternOwner } from './detect.ts';

/**
 * The strings the marker matcher looks for, and whose each one is: every tenant's markers,
 * its identity (when long enough to be unambiguous) and its credentials, so that one
 * tenant's token showing up in another's response is caught without ever printing it.
 */
export function markerPatterns(tenants: readonly ProbeTenant[]): {
  patterns: string[];
  owners: PatternOwner[];
} {
  const patterns: string[] = [];
  const owners: PatternOwner[] = [];
  tenants.forEach((tenant, t) => {
    tenant.markers.forEach((marker, index) => {
      patterns.push(marker);
      owners.push({ tenant: t, kind: 'marker', index });
    });
    if (tenant.identity.length >= 4) {
      patterns.push(tenant.identity);
      owners.push({ tenant: t, kind: 'identity' });
    }
    for (const secret of tenant.secrets) {
      if (secret.length < 6) continue;
      patterns.push(secret);
      owners.push({ tenant: t, kind: 'credential' });
    }
  });
  return { patterns, owners };
}
