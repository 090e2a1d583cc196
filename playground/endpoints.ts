/**
 * Which spec endpoint a request is for: the router's `classify` (reference/http/router.ts) gives
 * the resource and the endpoint id; the query refines end-8 into end-8a/end-8b (`n`, `last`) and
 * end-12 into end-12a/end-12b (`artifactType`), as the §Endpoints table lists them. The section
 * comes from spec/sentences.ts. Requests outside /v2/ (the reference registry's own GC trigger)
 * have a resource but no endpoint.
 */
import { classify, type Resource } from '../reference/http/router.ts';
import { SPEC_ENDPOINTS, type SpecEndpoint } from '../spec/sentences.ts';

export interface EndpointInfo {
  readonly resource: Resource | undefined;
  /** Repository name, when the path has one. */
  readonly name: string;
  readonly endpoint: SpecEndpoint | undefined;
}

const BY_ID = new Map(SPEC_ENDPOINTS.map((endpoint) => [endpoint.id, endpoint]));

export function endpointOf(method: string, target: string): EndpointInfo {
  let found;
  try {
    found = classify(method, target);
  } catch {
    found = undefined; // a target that is not a path: the registry answers 400
  }
  if (!found) return { resource: undefined, name: '', endpoint: undefined };
  let id = found.endpoint;
  const query = found.url.searchParams;
  if (id === 'end-8') id = query.has('n') || query.has('last') ? 'end-8b' : 'end-8a';
  if (id === 'end-12') id = query.has('artifactType') ? 'end-12b' : 'end-12a';
  return { resource: found.resource, name: found.name, endpoint: id === undefined ? undefined : BY_ID.get(id) };
}
