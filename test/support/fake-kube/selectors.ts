import type { KubeObject } from './kinds.ts';
import { badRequest } from './status.ts';

/** labelSelector and fieldSelector as list and watch understand them. */

type Test = (object: KubeObject) => boolean;

/** `a=b`, `a==b`, `a!=b`, `a`, `!a`, `a in (b,c)`, `a notin (b,c)`, comma-separated. */
export function labelSelector(text: string | null): Test {
  if (!text) return () => true;
  const terms = text.match(/[^,(]+(?:\([^)]*\))?/g) ?? [];
  const tests = terms.map((term): Test => {
    const t = term.trim();
    const labels = (o: KubeObject) => o.metadata.labels ?? {};
    const set = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(t);
    if (set) {
      const [, key = '', op, list = ''] = set;
      const values = list.split(',').map((v) => v.trim());
      return op === 'in'
        ? (o) => values.includes(labels(o)[key] ?? '\0')
        : (o) => !values.includes(labels(o)[key] ?? '\0');
    }
    const pair = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(t);
    if (pair) {
      const [, key = '', op, value] = pair;
      return op === '!=' ? (o) => labels(o)[key] !== value : (o) => labels(o)[key] === value;
    }
    const exists = /^(!?)([\w./-]+)$/.exec(t);
    if (exists) {
      const [, not, key = ''] = exists;
      return not ? (o) => !(key in labels(o)) : (o) => key in labels(o);
    }
    throw badRequest(`unable to parse requirement: ${t}`);
  });
  return (object) => tests.every((test) => test(object));
}

/** Only metadata.name and metadata.namespace, which is what informers use. */
export function fieldSelector(text: string | null): Test {
  if (!text) return () => true;
  const tests = text.split(',').map((term): Test => {
    const pair = /^(metadata\.name|metadata\.namespace)\s*(==|=|!=)\s*(.*)$/.exec(term.trim());
    if (!pair) throw badRequest(`field label not supported: ${term}`);
    const [, field, op, value] = pair;
    const read = (o: KubeObject) =>
      field === 'metadata.name' ? o.metadata.name : (o.metadata.namespace ?? '');
    return op === '!=' ? (o) => read(o) !== value : (o) => read(o) === value;
  });
  return (object) => tests.every((test) => test(object));
}
