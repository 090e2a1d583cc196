/**
 * Reading and writing the headers the spec leans on: the Accept header real clients send for
 * manifests, media types without parameters (clients SHOULD ignore them), comma-separated and
 * repeated header values (RFC 9110 §5.3), and the rel="next" Link of paged answers, which "MUST be
 * set according to RFC5988 with the Relation Type rel="next"" (spec "Listing Tags", "Listing
 * Referrers").
 */
import { CheckFailure } from './errors.ts';
import type { Reply } from './registry-client.ts';
import { DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST } from '../../spec/media-types.ts';

/** The Accept header skopeo and podman send (docs/clients.md#accept-headers): every manifest type they can read. */
export const ACCEPT_MANIFESTS = {
  Accept: [
    OCI_MANIFEST, DOCKER_MANIFEST, 'application/vnd.docker.distribution.manifest.v1+prettyjws',
    'application/vnd.docker.distribution.manifest.v1+json', DOCKER_MANIFEST_LIST, OCI_INDEX,
  ].join(', '),
} as const;

/** The media type of a Content-Type, without parameters (spec: clients SHOULD ignore them). */
export function bareType(value: string | undefined): string | undefined {
  return value?.split(';')[0]?.trim().toLowerCase();
}

/**
 * The values of a comma-separated header, or of one the registry sent several times (the client
 * joins repeated headers with ", ": RFC 9110 §5.3).
 */
export function headerValues(reply: Reply, name: string): string[] {
  return (reply.header(name) ?? '').split(',').map((v) => v.trim()).filter((v) => v !== '');
}

/**
 * The absolute URL of the rel="next" link of a reply's Link header (RFC 5988 §5: `<URI-Reference>`
 * and `; param` pairs, several links separated by commas, `rel` a space-separated list; a relative
 * reference resolves against the request URL), or undefined without a Link header. A Link that is
 * not RFC 5988, or has no rel="next", fails.
 */
export function nextLink(reply: Reply, what: string): string | undefined {
  const header = reply.header('link');
  if (header === undefined) return undefined;
  for (const value of header.split(/,\s*(?=<)/)) {
    const match = /^\s*<([^>]*)>\s*((?:;\s*[^;]*)*)$/.exec(value);
    if (!match) throw new CheckFailure(`${what}: Link ${JSON.stringify(header)} is not an RFC 5988 link (<URI>; rel="next")`, reply.exchange);
    const rel = (match[2] ?? '').split(';').map((param) => /^\s*rel\s*=\s*(?:"([^"]*)"|([^\s"]+))\s*$/i.exec(param)).find((m) => m !== null);
    const relations = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/);
    if (relations.includes('next')) return new URL(match[1] ?? '', reply.exchange.url).toString();
  }
  throw new CheckFailure(`${what}: Link ${JSON.stringify(header)} has no rel="next"`, reply.exchange);
}
