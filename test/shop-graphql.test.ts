import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.ts';
import { parseQuery } from '../src/shop/graphql-query.ts';
import { REAL_CUSTOMERS, type Shop, type ShopUser } from '../src/shop/index.ts';
import { captureIo } from './support/io.ts';
import { decodedJson, type RawReply, rawRequest } from './support/raw-http.ts';
import { shopsPerTest, testUser } from './support/shops.ts';

const shopWith = shopsPerTest();

const alice = testUser('alice');
const bob = testUser('bob');
const dave = testUser('dave');

const ME = '{ me { id email name orders { id } } }';

function graphql(
  shop: Shop,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<RawReply> {
  return rawRequest(`${shop.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const as = (u: ShopUser) => ({ authorization: `Bearer ${u.token}` });

function ordersOf(u: ShopUser, count: number) {
  return Array.from({ length: count }, (_, k) => ({ id: `ORD-${u.id}-${k + 1}` }));
}

describe('POST /graphql', () => {
  it('answers me with the signed-in user’s identity and orders', async () => {
    const shop = await shopWith();
    const reply = await graphql(shop, { query: ME }, as(alice));
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/json');
    expect(reply.headers['cache-control']).toBe('private, no-store');
    expect(decodedJson(reply)).toEqual({
      data: {
        me: {
          id: alice.id,
          email: alice.email,
          name: alice.displayName,
          orders: ordersOf(alice, 3),
        },
      },
    });
    const bobs = decodedJson(await graphql(shop, { query: ME }, as(bob)));
    expect(bobs).toEqual({
      data: {
        me: { id: bob.id, email: bob.email, name: bob.displayName, orders: ordersOf(bob, 2) },
      },
    });
    const daves = await graphql(
      shop,
      { query: '{ me { id address } }' },
      { 'x-api-key': dave.apiKey ?? '' },
    );
    expect(decodedJson(daves)).toEqual({ data: { me: { id: dave.id, address: dave.address } } });
    expect(shop.stats.byCredential.get('dave')).toBe(1);
  });

  it('takes named queries, variables, operationName and __typename', async () => {
    const shop = await shopWith();
    const query = `# who am I
      query Me($unused: Int = 1) { __typename me { __typename id, orders { id item } } }`;
    const reply = await graphql(
      shop,
      { query, variables: { unused: 2 }, operationName: 'Me' },
      as(bob),
    );
    const data = decodedJson(reply).data as { me: { orders: { item: string }[] } };
    expect(data).toMatchObject({ __typename: 'Query', me: { __typename: 'User', id: bob.id } });
    expect(data.me.orders).toHaveLength(2);
    expect(data.me.orders[0]).toEqual({ id: `ORD-${bob.id}-1`, item: expect.any(String) });
  });

  it('refuses other methods with 405 and Allow: POST', async () => {
    const shop = await shopWith();
    const reply = await rawRequest(`${shop.url}/graphql?query=${encodeURIComponent(ME)}`, {
      headers: as(alice),
    });
    expect(reply.status).toBe(405);
    expect(reply.headers.allow).toBe('POST');
  });

  it('answers requests that are not GraphQL requests with 4xx and an errors list', async () => {
    const shop = await shopWith();
    const cases: [unknown, Record<string, string>, number][] = [
      ['{not json', as(alice), 400],
      [{ variables: {} }, as(alice), 400],
      [{ query: ME, variables: [1] }, as(alice), 400],
      [{ query: ME }, {}, 401],
      [{ query: ME }, { 'content-type': 'text/plain' }, 415],
    ];
    for (const [body, headers, status] of cases) {
      const reply = await graphql(shop, body, headers);
      expect(reply.status, JSON.stringify(body)).toBe(status);
      const { errors } = decodedJson(reply) as { errors: { message: string }[] };
      expect(errors[0]?.message.length).toBeGreaterThan(0);
    }
  });

  it.each([
    ['{ me { id password } }', 'Cannot query field "password" on type "User".'],
    ['{ you { id } }', 'Cannot query field "you" on type "Query".'],
    ['{ me }', 'Field "me" of type "User!" must have a selection of subfields.'],
    [
      '{ me { id { x } } }',
      'Field "id" must not have a selection since type "ID!" has no subfields.',
    ],
    ['{ me { id ', 'Syntax Error: expected a name, found <EOF>.'],
    ['mutation { me { id } }', 'The sample shop serves queries only, not a mutation.'],
    ['{ me { who: id } }', 'The sample shop does not support aliases.'],
    ['{ me { ...F } }', 'The sample shop does not support fragments.'],
    ['{ me { id } } ~', 'Syntax Error: unexpected character "~".'],
  ])('answers the well-formed request %s with 200 and a GraphQL error', async (query, message) => {
    const shop = await shopWith();
    const reply = await graphql(shop, { query }, as(alice));
    expect(reply.status).toBe(200);
    expect(decodedJson(reply)).toEqual({ errors: [{ message }] });
  });

  it('checks operationName against the document', () => {
    expect(parseQuery('query Me { me { id } }', 'Me').ok).toBe(true);
    expect(parseQuery('query Me { me { id } }', 'You')).toEqual({
      ok: false,
      message: 'Unknown operation named "You".',
    });
    expect(parseQuery('{ me { id } }', 'Me').ok).toBe(false);
  });

  it('real-customers: answers test users with real customers’ records here too', async () => {
    const shop = await shopWith({ flaw: 'real-customers' });
    const reply = decodedJson(await graphql(shop, { query: '{ me { id } }' }, as(alice)));
    expect(reply).toEqual({ data: { me: { id: REAL_CUSTOMERS[0]?.id } } });
    expect(shop.stats.crossUser.first).toMatchObject({ credentialOf: 'alice', dataOf: 'maja' });
  });
});

describe('graphql-cache', () => {
  it('serves the first caller’s answer to the next caller who sends the same query', async () => {
    const shop = await shopWith({ flaw: 'graphql-cache' });
    const first = await graphql(shop, { query: ME }, as(alice));
    expect(first.headers['x-cache']).toBe('MISS');
    const second = await graphql(shop, { query: ME }, as(bob));
    expect(second.headers['x-cache']).toBe('HIT');
    const me = (decodedJson(second).data as { me: { id: string; email: string } }).me;
    expect(me).toMatchObject({ id: alice.id, email: alice.email });
    expect(shop.stats.crossUser.first).toMatchObject({ credentialOf: 'bob', dataOf: 'alice' });

    // Another query text, or other variables, is another key: answered for the caller.
    const other = await graphql(shop, { query: '{ me { id } }' }, as(bob));
    expect(decodedJson(other)).toEqual({ data: { me: { id: bob.id } } });
    const withVariables = await graphql(shop, { query: ME, variables: { page: 2 } }, as(bob));
    expect(JSON.stringify(decodedJson(withVariables))).toContain(bob.email);
  });

  it('still refuses anonymous requests and caches no errors', async () => {
    const shop = await shopWith({ flaw: 'graphql-cache' });
    await graphql(shop, { query: ME }, as(alice));
    expect((await graphql(shop, { query: ME })).status).toBe(401);
    await graphql(shop, { query: '{ me { nope } }' }, as(alice));
    const again = await graphql(shop, { query: '{ me { nope } }' }, as(bob));
    expect(again.headers['x-cache']).toBeUndefined();
    expect(decodedJson(again).errors).toBeDefined();
  });
});

describe('vakt shop --list', () => {
  it('names the edge and GraphQL flaws with what each does', async () => {
    const list = captureIo();
    expect(await main(['shop', '--list'], list.io)).toBe(0);
    for (const flaw of ['compressing-edge', 'api-key-cache', 'graphql-cache'])
      expect(list.stdout).toMatch(new RegExp(`^${flaw} +\\S`, 'm'));
  });
});
