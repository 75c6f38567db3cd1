import { ordersOf } from './documents.ts';
import type { ShopUser } from './users.ts';

/**
 * Just enough GraphQL for the sample shop's one query, `me`: a query operation (named or the
 * `{ ... }` shorthand, with variable definitions allowed and ignored) whose selections are
 * plain fields. Aliases, arguments, fragments and directives are refused with a GraphQL
 * error rather than half-supported. The schema it checks against:
 *
 *   type Query { me: User! }
 *   type User  { id: ID!  email: String!  name: String!  address: String!  orders: [Order!]! }
 *   type Order { id: ID!  item: String! }
 */

export interface Field {
  name: string;
  selections?: Field[];
}

export type ParsedQuery =
  | { ok: true; operationName: string | undefined; selections: Field[] }
  | { ok: false; message: string };

/** Each type's fields: a scalar's type name, or the object type a selection set goes into. */
const SCHEMA: Record<string, Record<string, { type: string; of?: string }>> = {
  Query: { me: { type: 'User!', of: 'User' } },
  User: {
    id: { type: 'ID!' },
    email: { type: 'String!' },
    name: { type: 'String!' },
    address: { type: 'String!' },
    orders: { type: '[Order!]!', of: 'Order' },
  },
  Order: { id: { type: 'ID!' }, item: { type: 'String!' } },
};

/** Punctuators, names, numbers and strings; commas, whitespace and # comments are ignored. */
const TOKEN =
  /\s*(?:,\s*|#[^\n]*\s*)*(\.\.\.|[{}():$!=[\]@]|[_A-Za-z][_0-9A-Za-z]*|-?\d[\d.eE+-]*|"(?:[^"\\\n]|\\.)*")/y;

function tokenize(source: string): string[] | string {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  for (;;) {
    const at = TOKEN.lastIndex;
    const match = TOKEN.exec(source);
    if (match?.[1]) {
      tokens.push(match[1]);
      continue;
    }
    const rest = source.slice(at).replace(/^[\s,]*(#[^\n]*[\s,]*)*/, '');
    return rest === '' ? tokens : `Syntax Error: unexpected character "${rest[0]}".`;
  }
}

class Parser {
  readonly #tokens: string[];
  #at = 0;

  constructor(tokens: string[]) {
    this.#tokens = tokens;
  }

  peek(): string | undefined {
    return this.#tokens[this.#at];
  }
  next(): string | undefined {
    return this.#tokens[this.#at++];
  }
  expect(token: string): void {
    const got = this.next();
    if (got !== token)
      throw new Error(`Syntax Error: expected "${token}", found ${got ?? '<EOF>'}.`);
  }

  document(): { operationName: string | undefined; selections: Field[] } {
    let operationName: string | undefined;
    if (this.peek() !== '{') {
      const kind = this.next();
      if (kind === 'mutation' || kind === 'subscription')
        throw new Error(`The sample shop serves queries only, not a ${kind}.`);
      if (kind !== 'query') throw new Error(`Syntax Error: unexpected ${kind ?? '<EOF>'}.`);
      if (this.peek() !== '{' && this.peek() !== '(') operationName = this.name();
      if (this.peek() === '(') this.skipVariableDefinitions();
    }
    const selections = this.selectionSet();
    if (this.peek() !== undefined)
      throw new Error('The sample shop takes one operation per document, without fragments.');
    return { operationName, selections };
  }

  name(): string {
    const token = this.next();
    if (!token || !/^[_A-Za-z]/.test(token))
      throw new Error(`Syntax Error: expected a name, found ${token ?? '<EOF>'}.`);
    return token;
  }

  skipVariableDefinitions(): void {
    this.expect('(');
    while (this.peek() !== ')') {
      if (this.next() === undefined) throw new Error('Syntax Error: expected ")", found <EOF>.');
    }
    this.expect(')');
  }

  selectionSet(): Field[] {
    this.expect('{');
    const fields: Field[] = [];
    while (this.peek() !== '}') {
      if (this.peek() === '...') throw new Error('The sample shop does not support fragments.');
      const name = this.name();
      const after = this.peek();
      if (after === ':') throw new Error('The sample shop does not support aliases.');
      if (after === '(') throw new Error(`The sample shop takes no arguments (on "${name}").`);
      if (after === '@') throw new Error('The sample shop does not support directives.');
      fields.push(after === '{' ? { name, selections: this.selectionSet() } : { name });
    }
    this.expect('}');
    if (fields.length === 0) throw new Error('Syntax Error: expected a name, found "}".');
    return fields;
  }
}

/** Checks each field exists on its type and has subfields exactly when it is an object. */
function validate(fields: Field[], typeName: string): void {
  const type = SCHEMA[typeName] ?? {};
  for (const field of fields) {
    if (field.name === '__typename') continue;
    const known = type[field.name];
    if (!known) throw new Error(`Cannot query field "${field.name}" on type "${typeName}".`);
    if (known.of && !field.selections)
      throw new Error(
        `Field "${field.name}" of type "${known.type}" must have a selection of subfields.`,
      );
    if (!known.of && field.selections)
      throw new Error(
        `Field "${field.name}" must not have a selection since type "${known.type}" has no subfields.`,
      );
    if (known.of && field.selections) validate(field.selections, known.of);
  }
}

export function parseQuery(source: string, operationName?: string): ParsedQuery {
  const tokens = tokenize(source);
  if (typeof tokens === 'string') return { ok: false, message: tokens };
  try {
    const parsed = new Parser(tokens).document();
    if (operationName !== undefined && operationName !== parsed.operationName)
      return { ok: false, message: `Unknown operation named "${operationName}".` };
    validate(parsed.selections, 'Query');
    return { ok: true, ...parsed };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
}

/** Picks the selected fields of `source`, in the order they were asked for. */
function pick(fields: Field[], typeName: string, source: Record<string, unknown>): object {
  const result: Record<string, unknown> = {};
  for (const field of fields) {
    if (field.name === '__typename') {
      result.__typename = typeName;
      continue;
    }
    const value = source[field.name];
    const of = SCHEMA[typeName]?.[field.name]?.of;
    const selections = field.selections;
    if (!of || !selections) {
      result[field.name] = value;
      continue;
    }
    const pickFrom = (item: unknown) => pick(selections, of, item as Record<string, unknown>);
    result[field.name] = Array.isArray(value) ? value.map(pickFrom) : pickFrom(value);
  }
  return result;
}

/** The `data` of a validated query, answered from an account. */
export function execute(selections: Field[], account: ShopUser): object {
  const user = {
    id: account.id,
    email: account.email,
    name: account.displayName,
    address: account.address,
    orders: ordersOf(account),
  };
  return pick(selections, 'Query', { me: user });
}
