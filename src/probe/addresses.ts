import { BlockList, isIP } from 'node:net';

/**
 * Addresses a probe must never reach, whatever a policy or a guard asks for: cloud metadata
 * services and link-local addresses hand out the node's credentials to anyone who asks, so
 * tenant credentials sent there (or a response read back through a probe) leak them. The
 * same rules are checked when a URL is accepted and again on every connection, because a
 * name that is allowed may resolve to any address at connect time.
 */

export interface AddressRules {
  /** 127.0.0.0/8 and ::1: the operator's own pod. Refused unless the admin allows it. */
  allowLoopback: boolean;
}

const ALWAYS = new BlockList();
ALWAYS.addSubnet('169.254.0.0', 16, 'ipv4'); // link-local, AWS/Azure/GCP/OpenStack metadata
ALWAYS.addSubnet('0.0.0.0', 8, 'ipv4'); // "this host": connects to the node itself
ALWAYS.addAddress('100.100.100.200', 'ipv4'); // Alibaba Cloud metadata
ALWAYS.addSubnet('fe80::', 10, 'ipv6'); // IPv6 link-local
ALWAYS.addAddress('fd00:ec2::254', 'ipv6'); // AWS metadata over IPv6
ALWAYS.addAddress('::', 'ipv6');

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Names of metadata services that resolve only inside a cloud's own network. */
const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata', 'metadata.goog']);

/** Why a probe may not connect to this IP address, or undefined when it may. */
export function refusedAddress(address: string, rules: AddressRules): string | undefined {
  const family = isIP(address);
  if (family === 0) return `${address} is not an IP address`;
  const type = family === 6 ? 'ipv6' : 'ipv4';
  if (ALWAYS.check(address, type)) return `${address} is a link-local or metadata address`;
  if (!rules.allowLoopback && LOOPBACK.check(address, type)) {
    return `${address} is a loopback address (the platform does not allow loopback)`;
  }
  return undefined;
}

/** A URL's host as the WHATWG parser leaves it, without brackets or a trailing dot. */
export function bareHost(hostname: string): string {
  return hostname
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '')
    .toLowerCase();
}

/**
 * Why a probe may not be sent to this host (a URL's hostname), or undefined. Names are
 * checked again at connect time, once they resolve.
 */
export function refusedHost(hostname: string, rules: AddressRules): string | undefined {
  const host = bareHost(hostname);
  if (isIP(host)) return refusedAddress(host, rules);
  if (METADATA_NAMES.has(host)) return `${host} is a metadata service`;
  if (!rules.allowLoopback && (host === 'localhost' || host.endsWith('.localhost'))) {
    return `${host} is a loopback name (the platform does not allow loopback)`;
  }
  return undefined;
}

/** The connection was refused by these rules before anything was sent. */
export class RefusedAddressError extends Error {
  override name = 'RefusedAddressError';
  readonly code = 'EVAKTREFUSED';
}
