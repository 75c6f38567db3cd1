import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { allowListProblems, candidateUrl, hostAllowed } from '../src/operator/allow-lists.ts';
import { floorProblems } from '../src/operator/floors.ts';
import { type PlatformConfig, parsePlatform, rulesFor } from '../src/operator/platform.ts';
import { Policy } from '../src/policy/schema.ts';
import { refusedAddress, refusedHost } from '../src/probe/addresses.ts';
import { Transport } from '../src/probe/transport.ts';
import { validateSpec } from '../src/release/validate.ts';
import POLICY from './fixtures/operator/policy.json' with { type: 'json' };
import { spec } from './support/operator-fixtures.ts';

const SOURCE = 'vakt-system/vakt-platform';

function platform(text: string): PlatformConfig {
  const state = parsePlatform({ 'platform.yaml': text }, SOURCE);
  if (!state.config) throw new Error(state.problem);
  return state.config;
}

const STRICT = platform(`
floors: { minApprovals: 2, minPermission: write, minRequests: 100, maxLeakRate: 0.05 }
namespaces:
  shop: { repositories: [acme/shop], probeHosts: [shop.example.com, "*.cdn.example.net"] }
`);

function policyWith(patch: { approval?: object; load?: object; pass?: object }) {
  return Policy.parse({
    ...POLICY,
    approval: { ...POLICY.approval, ...patch.approval },
    probe: {
      ...POLICY.probe,
      load: { ...POLICY.probe.load, ...patch.load },
      pass: { ...POLICY.probe.pass, ...patch.pass },
    },
  });
}

describe('platform floors', () => {
  const inline = { path: 'spec.policy.inline', inline: true };
  it.each([
    [
      { approval: { minApprovals: 1 } },
      'spec.policy.inline.approval.minApprovals',
      'policy minApprovals 1 is below the platform floor 2 (vakt-system/vakt-platform)',
    ],
    [
      { approval: { minPermission: 'triage' } },
      'spec.policy.inline.approval.minPermission',
      'policy minPermission triage is below the platform floor write',
    ],
    [
      { load: { requests: 1 } },
      'spec.policy.inline.probe.load.requests',
      'policy requests 1 is below the platform floor 100',
    ],
    [
      { pass: { maxLeakRate: 0.99 } },
      'spec.policy.inline.probe.pass.maxLeakRate',
      'policy maxLeakRate 0.99 is above the platform floor 0.05',
    ],
    [
      { pass: { confidence: 0.5 } },
      'spec.policy.inline.probe.pass.confidence',
      'policy confidence 0.5 is below the platform floor 0.95',
    ],
    [
      { pass: { maxErrorRate: 0.5 } },
      'spec.policy.inline.probe.pass.maxErrorRate',
      'policy maxErrorRate 0.5 is above the platform floor 0.05',
    ],
  ])('refuses %j', (patch, path, message) => {
    const problems = floorProblems(policyWith(patch), STRICT.floors, SOURCE, inline);
    expect(problems).toEqual([{ path, message: expect.stringContaining(message) }]);
  });

  it('accepts a policy at or above every floor', () => {
    const strict = policyWith({
      approval: { minApprovals: 3, minPermission: 'admin' },
      load: { requests: 100 },
    });
    expect(floorProblems(strict, STRICT.floors, SOURCE, inline)).toEqual([]);
  });

  it('names the ConfigMap reference for a policy read from a ConfigMap', () => {
    const origin = { path: 'spec.policy.configMapRef', inline: false };
    const problems = floorProblems(
      policyWith({ approval: { minApprovals: 1 } }),
      STRICT.floors,
      SOURCE,
      origin,
    );
    expect(problems.map((p) => p.path)).toEqual(['spec.policy.configMapRef']);
  });
});

describe('platform configuration', () => {
  it.each([
    [null, 'ConfigMap vakt-system/vakt-platform not found'],
    [{}, 'has no key platform.yaml'],
    [{ 'platform.yaml': 'floors: [' }, 'not YAML'],
    [{ 'platform.yaml': 'floors: { minApprovals: 0 }' }, 'floors.minApprovals'],
    [{ 'platform.yaml': 'flors: {}' }, 'flors'],
  ])('fails closed on %j', (data, problem) => {
    const state = parsePlatform(data, SOURCE);
    expect(state.config).toBeUndefined();
    expect(state.problem).toContain(problem);
  });

  it('defaults to strict floors, no repository, no probe host and a tenants label', () => {
    const config = platform('{}');
    expect(config.floors).toEqual({
      minApprovals: 2,
      minPermission: 'write',
      minRequests: 1000,
      maxLeakRate: 0.01,
      minConfidence: 0.95,
      maxErrorRate: 0.05,
    });
    expect(rulesFor(config, 'shop')).toEqual({
      repositories: [],
      probeHosts: [],
      probeTargetOverride: false,
    });
    expect(config.tenantsSecretLabel).toBe('vakt.dev/tenants=true');
    expect(config.allowLoopback).toBe(false);
  });

  it('serves namespaces without an entry of their own from "*"', () => {
    const config = platform(
      'namespaces: { "*": { repositories: ["acme/*"] }, shop: { repositories: [] } }',
    );
    expect(rulesFor(config, 'other').repositories).toEqual(['acme/*']);
    expect(rulesFor(config, 'shop').repositories).toEqual([]);
  });
});

describe('allow-lists', () => {
  const problems = (probe: object, source = 'acme/shop', config = STRICT, namespace = 'shop') => {
    const checked = validateSpec(
      spec({ probe: { guardInterval: '1s', ...probe }, source: { repository: source } }),
    );
    if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
    return allowListProblems({
      spec: checked.value,
      guardName: 'shop',
      namespace,
      rules: rulesFor(config, namespace),
      addresses: { allowLoopback: config.allowLoopback },
      source: SOURCE,
    });
  };

  it.each([
    ['acme/shop', true],
    ['ACME/Shop', true],
    ['acme/other', false],
    ['evil/shop', false],
  ])('repository %s allowed: %s', (repository, ok) => {
    expect(problems({}, repository).length === 0).toBe(ok);
  });

  it('refuses every repository in a namespace the platform does not list', () => {
    expect(problems({}, 'acme/shop', STRICT, 'elsewhere')).toEqual([
      expect.objectContaining({
        path: 'spec.source.repository',
        message: expect.stringContaining('the platform allows no repository here'),
      }),
    ]);
  });

  it.each([
    ['https://shop.example.com/', undefined],
    ['https://edge.cdn.example.net/', undefined],
    ['https://cdn.example.net/', 'not an allowed probe host'],
    ['https://shop.example.com.evil.io/', 'not an allowed probe host'],
    ['http://169.254.169.254/latest/meta-data/', 'link-local or metadata'],
    ['http://[fd00:ec2::254]/', 'link-local or metadata'],
    ['http://100.100.100.200/', 'link-local or metadata'],
    ['http://metadata.google.internal/', 'metadata service'],
    ['http://2852039166/', 'link-local or metadata'],
    ['http://[::ffff:169.254.169.254]/', 'link-local or metadata'],
    ['http://0.0.0.0:8080/', 'link-local or metadata'],
    ['http://127.0.0.1:8080/', 'loopback'],
    ['http://localhost:8080/', 'loopback'],
    ['http://vakt-metrics.vakt-system.svc:8080/', 'not an allowed probe host'],
    ['https://user:pw@shop.example.com/', 'no user name or password'],
  ])('edgeURL %s', (edgeURL, problem) => {
    const found = problems({ edgeURL });
    if (!problem) expect(found).toEqual([]);
    else
      expect(found).toEqual([
        { path: 'spec.probe.edgeURL', message: expect.stringContaining(problem) },
      ]);
  });

  it.each([
    ['http://shop-canary:8080/api', true],
    ['http://shop-canary.shop.svc:8080/', true],
    ['http://shop-canary.shop.svc.cluster.local/api', true],
    ['http://stub.shop.svc:8080/', false],
    ['http://shop-canary.other.svc/', false],
    ['https://shop.example.com/', false],
  ])('target %s is allowed without an override: %s', (target, ok) => {
    const found = problems({ target });
    expect(found.length === 0, JSON.stringify(found)).toBe(ok);
    if (!ok) expect(found[0]?.message).toContain('candidate probes go through Service shop-canary');
  });

  it('lets a target replace the canary Service only where the admin allows it, on an allowed host', () => {
    const open = platform(`
namespaces: { shop: { repositories: [acme/shop], probeHosts: [stub.shop.svc], probeTargetOverride: true } }`);
    expect(problems({ target: 'http://stub.shop.svc:8080/' }, 'acme/shop', open)).toEqual([]);
    expect(problems({ target: 'http://other.shop.svc:8080/' }, 'acme/shop', open)).toHaveLength(1);
    expect(
      problems({ target: 'http://169.254.169.254/' }, 'acme/shop', open)[0]?.message,
    ).toContain('metadata');
  });

  it('probes the canary Service with the path a target adds', () => {
    const canary = 'http://shop-canary.shop.svc:8080';
    expect(candidateUrl(canary, undefined, false)).toBe(canary);
    expect(candidateUrl(canary, 'http://shop-canary/api?x=1', false)).toBe(
      'http://shop-canary.shop.svc:8080/api?x=1',
    );
    expect(candidateUrl(canary, 'http://stub:9/', false)).toBe('http://shop-canary.shop.svc:8080/');
    expect(candidateUrl(canary, 'http://stub:9/', true)).toBe('http://stub:9/');
  });

  it.each([
    ['shop.example.com', ['*.example.com'], true],
    ['example.com', ['*.example.com'], false],
    ['a.b.example.com', ['*.example.com'], true],
    ['SHOP.example.com.', ['shop.example.com'], true],
    ['anything', ['*'], true],
  ])('host %s against %j: %s', (host, patterns, ok) => {
    expect(hostAllowed(host, patterns)).toBe(ok);
  });
});

describe('addresses a probe never reaches', () => {
  it.each([
    ['169.254.169.254', true],
    ['fe80::1', true],
    ['fd00:ec2::254', true],
    ['100.100.100.200', true],
    ['0.0.0.0', true],
    ['::ffff:a9fe:a9fe', true],
    ['127.0.0.1', true],
    ['::1', true],
    ['10.96.0.10', false],
    ['2001:db8::1', false],
  ])('%s refused: %s', (address, refused) => {
    expect(refusedAddress(address, { allowLoopback: false }) !== undefined).toBe(refused);
  });

  it('allows loopback only when the admin does, and metadata never', () => {
    expect(refusedAddress('127.0.0.1', { allowLoopback: true })).toBeUndefined();
    expect(refusedHost('localhost', { allowLoopback: true })).toBeUndefined();
    expect(refusedAddress('169.254.169.254', { allowLoopback: true })).toBeDefined();
  });
});

describe('the probe transport refuses at connect time', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    server = undefined;
  });

  async function listen(): Promise<{ port: number; connections: () => number }> {
    let connections = 0;
    server = createServer((_req, res) => res.end('{}'));
    server.on('connection', () => {
      connections += 1;
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    return { port: (server.address() as AddressInfo).port, connections: () => connections };
  }

  const get = (transport: Transport) =>
    transport.send({ pool: 'shared', method: 'GET', path: '/', headers: {}, onChunk: () => true });

  it('an allowed name that resolves to a metadata address is never connected to', async () => {
    const looked: string[] = [];
    const transport = new Transport('http://edge.example.com:80/', {
      pools: 1,
      concurrency: 1,
      timeoutMs: 5_000,
      addresses: { allowLoopback: true },
      lookup: ((hostname: string, _options: unknown, callback: (...a: unknown[]) => void) => {
        looked.push(hostname);
        callback(null, [{ address: '169.254.169.254', family: 4 }]);
      }) as never,
    });
    await expect(get(transport)).rejects.toThrow(
      /resolves to 169.254.169.254 is a link-local or metadata address/,
    );
    expect(looked).toEqual(['edge.example.com']);
    await transport.close();
  });

  it('a name resolving to loopback is refused unless loopback is allowed', async () => {
    const { port, connections } = await listen();
    const refused = new Transport(`http://localhost:${port}/`, {
      pools: 1,
      concurrency: 1,
      timeoutMs: 5_000,
      addresses: { allowLoopback: false },
    });
    await expect(get(refused)).rejects.toThrow(/loopback/);
    await refused.close();
    expect(connections()).toBe(0);
    const allowed = new Transport(`http://127.0.0.1:${port}/`, {
      pools: 1,
      concurrency: 1,
      timeoutMs: 5_000,
      addresses: { allowLoopback: true },
    });
    expect((await get(allowed)).status).toBe(200);
    await allowed.close();
    expect(connections()).toBe(1);
  });

  it('an address literal is checked before connecting', async () => {
    const { port, connections } = await listen();
    const transport = new Transport(`http://127.0.0.1:${port}/`, {
      pools: 1,
      concurrency: 1,
      timeoutMs: 5_000,
      addresses: { allowLoopback: false },
    });
    await expect(get(transport)).rejects.toThrow(/refused to connect: 127.0.0.1 is a loopback/);
    await transport.close();
    expect(connections()).toBe(0);
  });
});
