import { once } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { ROUTE_HEADER, type Router, startRouter, WithdrawnError } from '../src/demo/router.ts';

const servers: Server[] = [];
let router: Router | undefined;
afterEach(async () => {
  await router?.close();
  router = undefined;
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

/** An upstream answering with its label; `/slow` waits until the client leaves. */
async function upstream(label: string) {
  const seen = { requests: 0, probeHeader: 0, leftEarly: 0 };
  const server = createServer((req, res) => {
    seen.requests++;
    if (req.headers['x-vakt-probe'] !== undefined) seen.probeHeader++;
    if (req.url === '/slow') {
      res.on('close', () => {
        if (!res.writableEnded) seen.leftEarly++;
      });
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'x-release': label });
    res.end(label);
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { label, url: `http://127.0.0.1:${port}`, seen };
}

function get(
  url: string,
  headers: Record<string, string> = {},
  path = '/',
): Promise<{ status: number; body: string; route: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request({ host: u.hostname, port: u.port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString(),
          route: String(res.headers[ROUTE_HEADER] ?? ''),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the demo router', () => {
  it('sends real users to stable and probes to the candidate, and counts both', async () => {
    const v1 = await upstream('v1');
    const v2 = await upstream('v2');
    router = await startRouter(v1);
    router.setCandidate(v2);
    const probe = { [router.probeHeader.name]: router.probeHeader.value };

    expect((await get(router.url)).body).toBe('v1');
    expect((await get(router.url, probe)).body).toBe('v2');
    // A guessed header value is real-user traffic.
    expect((await get(router.url, { [router.probeHeader.name]: 'guess' })).body).toBe('v1');
    expect(router.counts('v1')).toEqual({ real: 2, probe: 0 });
    expect(router.counts('v2')).toEqual({ real: 0, probe: 1 });
    // The probe header is the router's business: the upstream never sees it.
    expect(v2.seen.probeHeader).toBe(0);
  });

  it('records when it sent each real-user request where, and no probe request', async () => {
    const v1 = await upstream('v1');
    const v2 = await upstream('v2');
    router = await startRouter(v1);
    router.setCandidate(v2);
    const probe = { [router.probeHeader.name]: router.probeHeader.value };
    const before = performance.now();
    await get(router.url);
    await get(router.url, probe);
    await get(router.url);
    router.promote();
    await get(router.url);
    const after = performance.now();

    const v1Times = router.realRoutedAt('v1');
    const v2Times = router.realRoutedAt('v2');
    expect(v1Times).toHaveLength(router.counts('v1').real);
    expect(v1Times).toHaveLength(2);
    // The probe request to v2 is not real-user traffic; the request after the promotion is.
    expect(v2Times).toHaveLength(1);
    expect(router.counts('v2')).toEqual({ real: 1, probe: 1 });
    const all = [...v1Times, ...v2Times];
    expect(all).toEqual([...all].sort((a, b) => a - b));
    for (const at of all) {
      expect(at).toBeGreaterThanOrEqual(before);
      expect(at).toBeLessThanOrEqual(after);
    }
    // A copy: the caller cannot rewrite the record.
    v1Times.push(0);
    expect(router.realRoutedAt('v1')).toHaveLength(2);
    expect(router.realRoutedAt('v9')).toEqual([]);
  });

  it('tags responses with where it sent them', async () => {
    const v1 = await upstream('v1');
    const v2 = await upstream('v2');
    router = await startRouter(v1);
    router.setCandidate(v2);
    const probe = { [router.probeHeader.name]: router.probeHeader.value };
    expect((await get(router.url, probe)).route).toMatch(/^v2\/\d+$/);
    expect((await get(router.url)).route).toMatch(/^v1\/\d+$/);
  });

  it('withdraws the candidate synchronously: nothing is routed to it afterwards', async () => {
    const v1 = await upstream('v1');
    const v2 = await upstream('v2');
    router = await startRouter(v1);
    router.setCandidate(v2);
    const probe = { [router.probeHeader.name]: router.probeHeader.value };
    expect(router.lastRoutedAt('v2')).toBeUndefined();
    expect((await get(router.url, probe)).body).toBe('v2');
    const routed = router.lastRoutedAt('v2') ?? Number.NaN;

    const withdrawal = router.withdraw();
    expect(withdrawal?.label).toBe('v2');
    expect(routed).toBeLessThanOrEqual(withdrawal?.at ?? Number.NEGATIVE_INFINITY);
    expect(router.candidate()).toBeUndefined();
    const after = await get(router.url, probe);
    expect(after.body).toBe('v1');
    expect(after.route).toMatch(/^v1\//);
    expect(router.lastRoutedAt('v2')).toBe(routed);
    expect(v2.seen.requests).toBe(1);
    expect(router.withdraw()).toBeUndefined();
  });

  it('never takes a withdrawn release back as a candidate', async () => {
    const v1 = await upstream('v1');
    const v2 = await upstream('v2');
    router = await startRouter(v1);
    router.setCandidate(v2);
    router.withdraw();
    expect(() => router?.setCandidate(v2)).toThrow(WithdrawnError);
    const probe = { [router.probeHeader.name]: router.probeHeader.value };
    expect((await get(router.url, probe)).body).toBe('v1');
    expect(v2.seen.requests).toBe(0);
  });

  it('promotes the candidate: real traffic moves to it', async () => {
    const v1 = await upstream('v1');
    const v3 = await upstream('v3');
    router = await startRouter(v1);
    router.setCandidate(v3);
    expect(router.promote().label).toBe('v1');
    expect(router.stable()).toBe('v3');
    expect((await get(router.url)).body).toBe('v3');
    expect(router.counts('v3').real).toBe(1);
    await router.drained('v1');
  });

  it('passes a client leaving mid-request on to the upstream', async () => {
    const v1 = await upstream('v1');
    router = await startRouter(v1);
    const u = new URL(router.url);
    const req = request({ host: u.hostname, port: u.port, path: '/slow' });
    req.on('error', () => {});
    req.end();
    await new Promise((r) => setTimeout(r, 50));
    req.destroy();
    await router.drained('v1');
    for (let i = 0; i < 50 && v1.seen.leftEarly === 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(v1.seen.leftEarly).toBe(1);
  });

  it('answers 502 when the upstream is down', async () => {
    const v1 = await upstream('v1');
    const gone = await upstream('gone');
    const server = servers.pop();
    await new Promise<void>((r) => server?.close(() => r()));
    router = await startRouter(v1);
    router.setCandidate(gone);
    const answer = await get(router.url, { [router.probeHeader.name]: router.probeHeader.value });
    expect(answer.status).toBe(502);
  });
});
