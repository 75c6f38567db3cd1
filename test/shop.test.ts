import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  FLAW_NAMES,
  FLAWS,
  REAL_CUSTOMERS,
  type Shop,
  type ShopUser,
  startShop,
  TEST_USERS,
} from '../src/shop/index.ts';
import { shopsPerTest } from './support/shops.ts';

const shopWith = shopsPerTest();

function user(name: string): ShopUser {
  const found = [...TEST_USERS, ...REAL_CUSTOMERS].find((u) => u.name === name);
  if (!found) throw new Error(`no user ${name}`);
  return found;
}
const alice = user('alice');
const bob = user('bob');
const carol = user('carol');

interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function get(shop: Shop, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(shop.url + path, { headers });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Reply['body'] };
}

/** A request for `path` as `u`, to be sent to a shop. */
function asUser(u: ShopUser, path = '/api/me'): (shop: Shop) => Promise<Reply> {
  return (shop) => get(shop, path, { authorization: `Bearer ${u.token}` });
}

/** The account id /api/me reports for a user's static token. */
async function meId(shop: Shop, u: ShopUser): Promise<unknown> {
  return (await asUser(u)(shop)).body.id;
}

async function login(shop: Shop, form: string, contentType = 'application/json') {
  const res = await fetch(`${shop.url}/login`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: form,
  });
  const body = (await res.json()) as { token?: string; error?: string };
  return { status: res.status, cookie: res.headers.get('set-cookie'), body };
}

/** Runs `total` /api/me requests round-robin over the test users, `concurrency` at a time. */
async function crossedShare(shop: Shop, total: number, concurrency: number) {
  let next = 0;
  let crossed = 0;
  const worker = async () => {
    while (next < total) {
      const u = TEST_USERS[next++ % TEST_USERS.length] as ShopUser;
      if ((await meId(shop, u)) !== u.id) crossed++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return crossed;
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !condition(); i++) await sleep(1);
  if (!condition()) throw new Error('condition never held');
}

describe('sample shop: clean release', () => {
  it('issues a fresh token and session cookie on every login, both of which work', async () => {
    const shop = await shopWith();
    const form = JSON.stringify({ user: 'alice', password: alice.password });
    const first = await login(shop, form);
    const second = await login(shop, form);
    expect(first.status).toBe(200);
    expect(first.body.token).toMatch(/^shop_tok_[0-9a-f]{16}$/);
    expect(first.cookie).toMatch(/^sid=[^;]+; HttpOnly; Path=\/; SameSite=Lax$/);
    expect(second.body.token).not.toBe(first.body.token);
    expect(second.cookie).not.toBe(first.cookie);

    const byToken = await get(shop, '/api/me', { authorization: `Bearer ${second.body.token}` });
    expect(byToken.body.id).toBe(alice.id);
    const sid = first.cookie?.split(';')[0] ?? '';
    const byCookie = await get(shop, '/api/me', { cookie: `theme=dark; ${sid}` });
    expect(byCookie.body.id).toBe(alice.id);

    const viaForm = await login(
      shop,
      `user=bob&password=${bob.password}`,
      'application/x-www-form-urlencoded',
    );
    expect(viaForm.status).toBe(200);
    const bobMe = await get(shop, '/api/me', { authorization: `Bearer ${viaForm.body.token}` });
    expect(bobMe.body.id).toBe(bob.id);
  });

  it('refuses wrong passwords, unknown users and bad credentials', async () => {
    const shop = await shopWith();
    expect((await login(shop, JSON.stringify({ user: 'alice', password: 'nope' }))).status).toBe(
      401,
    );
    expect((await login(shop, JSON.stringify({ user: 'mallory', password: 'x' }))).status).toBe(
      401,
    );
    expect((await login(shop, '{not json')).status).toBe(400);

    const refused: Record<string, string>[] = [
      {},
      { authorization: 'Bearer shop_tok_0000000000000000' },
      { cookie: 'sid=shop_sid_nope' },
    ];
    for (const headers of refused) {
      const reply = await get(shop, '/api/orders', headers);
      expect(reply.status).toBe(401);
      expect(reply.body).toEqual({ error: 'unauthorized' });
    }
  });

  it('returns each user their own data on every personal endpoint, privately', async () => {
    const shop = await shopWith({ version: 'v7' });
    for (const u of TEST_USERS) {
      const me = await asUser(u, '/api/me')(shop);
      expect(me.body).toEqual({ id: u.id, name: u.displayName, email: u.email });
      expect(me.headers.get('cache-control')).toBe('private, no-store');
      expect(me.headers.get('content-type')).toBe('application/json');
      expect(me.headers.get('x-shop-version')).toBe('v7');

      const orders = (await asUser(u, '/api/orders')(shop)).body.orders as Record<string, string>[];
      expect(orders.length).toBeGreaterThanOrEqual(2);
      expect(orders.length).toBeLessThanOrEqual(3);
      orders.forEach((order, index) => {
        expect(order).toMatchObject({
          id: `ORD-${u.id}-${index + 1}`,
          shipTo: u.address,
          email: u.email,
        });
      });

      const profile = await asUser(u, '/api/profile')(shop);
      expect(profile.body).toMatchObject({ id: u.id, email: u.email, address: u.address });
    }
    expect(shop.stats.personal).toBe(TEST_USERS.length * 3);
    expect(shop.stats.byUser.get('alice')).toBe(3);
  });

  it('keeps 200 parallel requests across 4 users apart', async () => {
    const shop = await shopWith();
    const paths = ['/api/me', '/api/orders', '/api/profile'];
    const replies = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const u = TEST_USERS[i % TEST_USERS.length] as ShopUser;
        const reply = await asUser(u, paths[i % paths.length])(shop);
        return { u, text: JSON.stringify(reply.body) };
      }),
    );
    for (const { u, text } of replies) {
      expect(text).toContain(u.email);
      for (const other of [...TEST_USERS, ...REAL_CUSTOMERS]) {
        if (other !== u) expect(text).not.toContain(other.email);
      }
    }
  });

  it('stays in step on its backend connection when a client cancels', async () => {
    const shop = await shopWith({ backendLatencyMs: 20 });
    const controller = new AbortController();
    const pending = fetch(`${shop.url}/api/me`, {
      headers: { authorization: `Bearer ${alice.token}` },
      signal: controller.signal,
    }).catch(() => 'aborted');
    await until(() => shop.stats.personal === 1);
    controller.abort();
    expect(await pending).toBe('aborted');
    await sleep(60);
    expect(await meId(shop, bob)).toBe(bob.id);
    expect(await meId(shop, carol)).toBe(carol.id);
  });

  it('caches the public catalog, saying so, and needs no login for it', async () => {
    const shop = await shopWith();
    const first = await get(shop, '/api/catalog');
    const second = await get(shop, '/api/catalog');
    expect(first.status).toBe(200);
    expect(first.headers.get('x-cache')).toBe('MISS');
    expect(second.headers.get('x-cache')).toBe('HIT');
    expect(second.headers.get('cache-control')).toBe('public, max-age=60');
    expect(second.headers.get('age')).toMatch(/^\d+$/);
    expect(second.body).toEqual(first.body);
    expect((first.body.products as unknown[]).length).toBeGreaterThan(0);
  });

  it('answers health checks, unknown paths and wrong methods', async () => {
    const shop = await shopWith();
    const health = await fetch(`${shop.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('ok');
    expect((await get(shop, '/nope')).status).toBe(404);
    expect((await fetch(`${shop.url}/api/me`, { method: 'POST' })).status).toBe(405);
    expect(shop.stats.requests).toBe(3);
  });

  it('pads personal responses to about padBytes and stays valid JSON', async () => {
    const shop = await shopWith({ padBytes: 64 * 1024 });
    const res = await fetch(`${shop.url}/api/orders`, {
      headers: { authorization: `Bearer ${carol.token}` },
    });
    const text = await res.text();
    expect(text.length).toBeGreaterThanOrEqual(64 * 1024);
    expect(text.length).toBeLessThan(64 * 1024 + 100);
    expect(JSON.parse(text).orders[0].email).toBe(carol.email);
  });

  it('rejects an unknown flaw name', async () => {
    await expect(startShop({ flaw: 'nonsense' as never })).rejects.toThrow(/unknown shop flaw/);
  });
});

describe('sample shop: release flaws', () => {
  it('describes every flaw', () => {
    expect(FLAW_NAMES).toHaveLength(11);
    for (const name of FLAW_NAMES) {
      expect(FLAWS[name].summary.length).toBeGreaterThan(20);
      expect(FLAWS[name].incident.length).toBeGreaterThan(10);
    }
    expect(FLAWS['cache-without-user'].deterministic).toBe(true);
    expect(FLAWS['rare-race'].deterministic).toBe(false);
  });

  it('cache-without-user: the second tenant gets the first tenant’s cached page', async () => {
    const shop = await shopWith({ flaw: 'cache-without-user' });
    const first = await asUser(alice, '/api/me')(shop);
    expect(first.body.id).toBe(alice.id);
    expect(first.headers.get('x-cache')).toBe('MISS');
    const second = await asUser(bob, '/api/me')(shop);
    expect(second.body.id).toBe(alice.id);
    expect(second.headers.get('cache-control')).toBe('public, max-age=30');
    expect(second.headers.get('x-cache')).toBe('HIT');
    expect(second.headers.get('age')).toMatch(/^\d+$/);

    await asUser(bob, '/api/orders')(shop);
    const orders = await asUser(alice, '/api/orders')(shop);
    expect(JSON.stringify(orders.body)).toContain(bob.email);
  });

  it('token-cache-key: every credential resolves to the first one verified', async () => {
    const shop = await shopWith({ flaw: 'token-cache-key' });
    expect(await meId(shop, alice)).toBe(alice.id);
    expect(await meId(shop, bob)).toBe(alice.id);
    const carolLogin = await login(
      shop,
      JSON.stringify({ user: 'carol', password: carol.password }),
    );
    const viaLogin = await get(shop, '/api/me', {
      authorization: `Bearer ${carolLogin.body.token}`,
    });
    expect(viaLogin.body.id).toBe(alice.id);
  });

  it('await-shared-state: sequential requests are fine, concurrent ones cross', async () => {
    const shop = await shopWith({ flaw: 'await-shared-state' });
    expect(await crossedShare(shop, 40, 1)).toBe(0);
    expect(await crossedShare(shop, 400, 32)).toBeGreaterThan(0);
  });

  it('pipeline-cancel: after one abandoned request every caller gets the previous one’s data', async () => {
    const shop = await shopWith({ flaw: 'pipeline-cancel', backendLatencyMs: 20 });
    expect(await meId(shop, carol)).toBe(carol.id);
    const controller = new AbortController();
    const pending = fetch(`${shop.url}/api/me`, {
      headers: { authorization: `Bearer ${alice.token}` },
      signal: controller.signal,
    }).catch(() => 'aborted');
    await until(() => shop.stats.personal === 2);
    controller.abort();
    expect(await pending).toBe('aborted');
    await sleep(60);
    expect(await meId(shop, bob)).toBe(alice.id);
    expect(await meId(shop, carol)).toBe(bob.id);
  });

  it('rare-race: a small share of overlapping requests cross, sequential ones never', async () => {
    const shop = await shopWith({ flaw: 'rare-race' });
    expect(await crossedShare(shop, 300, 1)).toBe(0);
    const total = 3000;
    const crossed = await crossedShare(shop, total, 64);
    expect(crossed).toBeGreaterThan(0);
    expect(crossed).toBeLessThan(total * 0.05);
  });

  it('header-leak: bodies are right, a header carries the previous user’s e-mail', async () => {
    const shop = await shopWith({ flaw: 'header-leak' });
    const first = await asUser(alice, '/api/me')(shop);
    expect(first.body.id).toBe(alice.id);
    const second = await asUser(bob, '/api/orders')(shop);
    expect(JSON.stringify(second.body)).not.toContain(alice.email);
    expect(second.headers.get('x-last-customer')).toBe(alice.email);
  });

  it('secondary-endpoint: /api/me and /api/orders are right, /api/profile is shared', async () => {
    const shop = await shopWith({ flaw: 'secondary-endpoint' });
    for (const u of [alice, bob]) {
      expect(await meId(shop, u)).toBe(u.id);
      const orders = await asUser(u, '/api/orders')(shop);
      expect(JSON.stringify(orders.body)).toContain(u.email);
      expect(orders.headers.get('cache-control')).toBe('private, no-store');
    }
    expect((await asUser(alice, '/api/profile')(shop)).body.id).toBe(alice.id);
    const profile = await asUser(bob, '/api/profile')(shop);
    expect(profile.body.email).toBe(alice.email);
    expect(profile.headers.get('x-cache')).toBe('HIT');
  });

  it('real-customers: test accounts are answered with real customers’ records', async () => {
    const shop = await shopWith({ flaw: 'real-customers' });
    const [maja, erik, noor] = REAL_CUSTOMERS as [ShopUser, ShopUser, ShopUser];
    expect(await meId(shop, alice)).toBe(maja.id);
    expect(await meId(shop, bob)).toBe(erik.id);
    expect(await meId(shop, carol)).toBe(noor.id);
    const profile = await asUser(bob, '/api/profile')(shop);
    expect(profile.body.address).toBe(erik.address);
  });
});
