/**
 * Where the operator reaches a Service it created. In the cluster that is cluster DNS;
 * an operator running outside (or a test) maps names to its own URLs.
 */

export interface ServiceRef {
  namespace: string;
  name: string;
  port: number;
}

export type ServiceUrl = (service: ServiceRef) => string;

export const DEFAULT_SERVICE_URL_TEMPLATE = 'http://{name}.{namespace}.svc:{port}';

const PLACEHOLDER = /\{(name|namespace|port)\}/g;

/** A ServiceUrl from a template such as `http://{name}.{namespace}.svc:{port}`. */
export function serviceUrlFromTemplate(template: string): ServiceUrl {
  return (service) =>
    template.replace(PLACEHOLDER, (_, key: keyof ServiceRef) => String(service[key]));
}

/** Why a --service-url-template cannot work, or undefined. */
export function serviceUrlTemplateProblem(template: string): string | undefined {
  const sample = serviceUrlFromTemplate(template)({ namespace: 'ns', name: 'svc', port: 8080 });
  try {
    const url = new URL(sample);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'it must be an http(s) URL';
  } catch {
    return `it does not make a URL (e.g. ${sample})`;
  }
  return undefined;
}
