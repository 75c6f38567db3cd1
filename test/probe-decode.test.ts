import {
  brotliCompressSync,
  deflateRawSync,
  deflateSync,
  gzipSync,
  zstdCompressSync,
} from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { createDecoder, parseContentEncoding } from '../src/probe/decode.ts';
import { runProbe } from '../src/probe/run.ts';
import { aliceAndBob, config, ID, Targets, who } from './support/probe-target.ts';

/** Compressed bodies: what an edge with gzip or brotli on sends to a browser. */

const targets = new Targets();
afterEach(() => targets.closeAll());

const ENCODERS: Record<string, (b: Buffer) => Buffer> = {
  gzip: (b) => gzipSync(b),
  deflate: (b) => deflateSync(b),
  br: (b) => brotliCompressSync(b),
  zstd: (b) => zstdCompressSync(b),
};

/**
 * /me is correct; /orders is compressed, and alice's answer carries bob's orders: the
 * Klarna shape behind an edge that compresses.
 */
function compressingLeak(encoding: string, encode: (b: Buffer) => Buffer) {
  return targets.serve((req, res) => {
    const user = who(req);
    res.setHeader('cache-control', 'private');
    if (req.url === '/me') return res.end(JSON.stringify({ id: ID[user] }));
    const owner = user === 'alice' ? 'bob' : user;
    const body = Buffer.from(JSON.stringify({ orders: [{ email: `${owner}@probe.example` }] }));
    res.setHeader('content-encoding', encoding);
    res.end(encode(body));
  });
}

describe('compressed bodies', () => {
  it.each(Object.entries(ENCODERS))(
    'finds a foreign marker inside a %s body',
    async (encoding, encode) => {
      const target = await compressingLeak(encoding, encode);
      const verdict = await runProbe(config(target, aliceAndBob(), ['/orders']));
      expect(verdict.outcome).toBe('leak');
      expect(verdict.leak).toMatchObject({
        kind: 'foreign-marker',
        owner: 'bob',
        request: { tenant: 'alice', path: '/orders' },
        match: { where: 'body' },
      });
    },
  );

  it('reads the identity from a gzip body', async () => {
    const target = await targets.serve((req, res) => {
      res.setHeader('cache-control', 'private');
      res.setHeader('content-encoding', 'gzip');
      // Everyone is told they are bob.
      res.end(gzipSync(JSON.stringify({ id: ID.bob, user: who(req) })));
    });
    const verdict = await runProbe(config(target, aliceAndBob(), []));
    expect(verdict.leak).toMatchObject({ kind: 'identity-mismatch', observedIdentity: ID.bob });
  });

  it('passes a clean compressing service, having decoded every body', async () => {
    const target = await targets.serve((req, res) => {
      const user = who(req);
      res.setHeader('cache-control', 'private');
      res.setHeader('content-encoding', 'br');
      if (!user) return res.writeHead(401).end(brotliCompressSync('{}'));
      res.end(brotliCompressSync(JSON.stringify({ id: ID[user], email: `${user}@probe.example` })));
    });
    const verdict = await runProbe(config(target, aliceAndBob(), ['/orders'], 400));
    expect(verdict.outcome).toBe('inconclusive'); // 400 samples cannot bound 0.001
    expect(verdict.counters.checked).toBeGreaterThanOrEqual(400);
    expect(verdict.counters.unchecked).toBe(0);
    expect(verdict.counters.failed).toBe(0);
  });

  it('asks for compressed bodies as a browser does, unless the policy says otherwise', async () => {
    const seen = new Set<string>();
    const target = await targets.serve((req, res) => {
      seen.add(String(req.headers['accept-encoding']));
      res.setHeader('cache-control', 'private');
      res.end(JSON.stringify({ id: ID[who(req)] }));
    });
    const { withBrowserEncoding } = await import('../src/probe/config.ts');
    await runProbe({
      ...config(target, aliceAndBob(), [], 20),
      headers: withBrowserEncoding({}),
    });
    expect([...seen]).toEqual(['gzip, deflate, br, zstd']);
    expect(withBrowserEncoding({ 'Accept-Encoding': 'identity' })).toEqual({
      'Accept-Encoding': 'identity',
    });
  });
});

describe('bodies that cannot be checked', () => {
  const withEvery = (send: (res: import('node:http').ServerResponse) => void) =>
    targets.serve((req, res) => {
      const user = who(req);
      res.setHeader('cache-control', 'private');
      if (req.url === '/me') return res.end(JSON.stringify({ id: ID[user] }));
      send(res);
    });

  it.each([
    [
      'an encoding the probe cannot decode',
      (res: import('node:http').ServerResponse) => {
        res.setHeader('content-encoding', 'compress');
        res.end('\x1f\x9d not really lzw');
      },
      'undecodable-body',
      /compress/,
    ],
    [
      'a corrupt gzip body',
      (res: import('node:http').ServerResponse) => {
        res.setHeader('content-encoding', 'gzip');
        res.end(Buffer.from('this is not gzip at all'));
      },
      'undecodable-body',
      /gzip/,
    ],
    [
      'a gzip body cut short',
      (res: import('node:http').ServerResponse) => {
        res.setHeader('content-encoding', 'gzip');
        const whole = gzipSync(JSON.stringify({ orders: Array(500).fill('x'.repeat(40)) }));
        res.end(whole.subarray(0, whole.length - 40));
      },
      'undecodable-body',
      /gzip/,
    ],
    [
      'a decompression bomb',
      (res: import('node:http').ServerResponse) => {
        res.setHeader('content-encoding', 'gzip');
        // 32 MiB of zeros in about 32 KiB: over 1,000 times smaller.
        res.end(gzipSync(Buffer.alloc(32 * 1024 * 1024), { level: 9 }));
      },
      'decompression-bomb',
      /decompression bomb/,
    ],
  ])('counts %s as unchecked, warns, and never passes', async (_name, send, kind, detail) => {
    const target = await withEvery(send);
    const verdict = await runProbe(
      config(target, aliceAndBob(), ['/orders'], 3000, { maxBodyBytes: 64 * 1024 * 1024 }),
    );
    expect(verdict.outcome).toBe('inconclusive');
    expect(verdict.counters.unchecked).toBeGreaterThan(0);
    const warning = verdict.warnings.find((w) => w.kind === kind);
    expect(warning?.path).toBe('/orders');
    expect(warning?.detail).toMatch(detail);
  });

  it('still finds a leak in the part of a body it could read', async () => {
    const target = await withEvery((res) => {
      res.setHeader('content-encoding', 'gzip');
      // bob's e-mail first, then a bomb.
      const body = Buffer.concat([
        Buffer.from('{"email":"bob@probe.example","pad":"'),
        Buffer.alloc(32 * 1024 * 1024, 0x20),
      ]);
      res.end(gzipSync(body, { level: 9 }));
    });
    const verdict = await runProbe(
      config(target, aliceAndBob(), ['/orders'], 3000, { maxBodyBytes: 64 * 1024 * 1024 }),
    );
    expect(verdict.outcome).toBe('leak');
    expect(verdict.leak?.owner).toBe('bob');
  });
});

describe('decoder', () => {
  it('undoes several codings in reverse order, raw deflate too', async () => {
    const text = 'alice@probe.example '.repeat(1000);
    const cases: [string, Buffer][] = [
      ['gzip, br', brotliCompressSync(gzipSync(text))],
      ['deflate', deflateRawSync(text)],
      ['identity, gzip', gzipSync(text)],
    ];
    for (const [header, bytes] of cases) {
      const parsed = parseContentEncoding(header);
      if (!('codings' in parsed)) throw new Error(`unexpected: ${header}`);
      const out: Buffer[] = [];
      const decoder = createDecoder(parsed.codings, (c) => out.push(c));
      // In small chunks, as a network delivers them.
      for (let i = 0; i < bytes.length; i += 7) decoder.write(bytes.subarray(i, i + 7));
      await decoder.end();
      expect(Buffer.concat(out).toString()).toBe(text);
    }
    expect(parseContentEncoding('gzip, compress')).toEqual({ unsupported: 'compress' });
    // An empty body that names its encoding (a 204, a 304) decodes to nothing, without error.
    const empty = createDecoder(['gzip'], () => undefined);
    await expect(empty.end()).resolves.toBeUndefined();
  });
});
