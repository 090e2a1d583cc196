/**
 * ListReferrers: GET /v2/<name>/referrers/<digest>[?artifactType=] (spec "Listing Referrers",
 * end-12a/b), for a manifest of the repository or a subject never pushed. 200 (never 404), an
 * image index, every page followed by its Link; the descriptors are exactly the repository's
 * manifests whose subject is the digest, each once, with mediaType, size, artifactType (the
 * manifest's, else its config's media type; omitted for an index without one) and the manifest's
 * annotations. With a filter: when the registry says OCI-Filters-Applied: artifactType, exactly
 * the matching referrers; without that header it did not filter, and all must be there.
 */
import fc from 'fast-check';
import { CheckFailure } from '../../client/errors.ts';
import { ensure, expectStatus } from '../../client/expect.ts';
import { requestPath } from '../../client/exchange.ts';
import { OCI_INDEX } from '../../../spec/media-types.ts';
import { bareType, nextLink } from '../../client/headers.ts';
import { artifactType, position, repoIndex } from '../arbitraries.ts';
import { pick, type ManifestFact, type Model } from '../model.ts';
import type { World } from '../world.ts';
import { Step } from './step.ts';
import type { Listed } from '../../checks/referrers.ts';

export interface ListReferrersParams {
  readonly repo: number;
  readonly subject: number;
  readonly filter: string | undefined;
}

const MAX_PAGES = 50;

function sameAnnotations(listed: unknown, expected: Readonly<Record<string, string>> | undefined): boolean {
  const a = (listed ?? {}) as Record<string, unknown>;
  const b = expected ?? {};
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => a[k] === b[k]);
}

export class ListReferrers extends Step {
  readonly p: ListReferrersParams;

  constructor(p: ListReferrersParams) {
    super();
    this.p = p;
  }

  override check(model: Readonly<Model>): boolean {
    return model.manifestUniverse.size > 0;
  }

  protected async act(model: Model, world: World, label: string): Promise<void> {
    const repo = model.repo(this.p.repo);
    // Subjects worth asking about: the repository's manifests, and subjects its referrers name.
    const present = repo.presentManifests();
    const subjects = [...new Set([...present.map((m) => m.content.digest), ...present.flatMap((m) => (m.subject ? [m.subject] : []))])];
    const digest = pick(subjects.length > 0 ? subjects : [...model.manifestUniverse.keys()], this.p.subject);
    if (digest === undefined) return;
    const query = this.p.filter === undefined ? '' : `?artifactType=${encodeURIComponent(this.p.filter)}`;
    let url = world.client.resolve(`/v2/${repo.name}/referrers/${digest}${query}`);
    const listed: Listed[] = [];
    let filtered = false;
    for (let pages = 0; ; pages += 1) {
      if (pages === MAX_PAGES) throw new CheckFailure(`${label}: referrers of ${digest} did not end after ${MAX_PAGES} pages`);
      const reply = await world.client.request('GET', url);
      const what = `${label}: GET ${requestPath(url)}`;
      expectStatus(reply, [200], `${what} (a registry offering referrers MUST NOT answer 404)`);
      ensure(bareType(reply.header('content-type')) === OCI_INDEX, `${what}: Content-Type ${JSON.stringify(reply.header('content-type'))}, MUST be ${OCI_INDEX}`, reply);
      const body = reply.json<{ manifests?: unknown }>();
      ensure(Array.isArray(body?.manifests), `${what}: the body is not an image index with a manifests list`, reply);
      listed.push(...(body.manifests as Listed[]));
      if (pages === 0) filtered = /\bartifactType\b/.test(reply.header('oci-filters-applied') ?? '');
      const link = nextLink(reply, what);
      if (link === undefined) break;
      url = link;
    }
    const what = `${label}: referrers of ${digest}${query}`;
    const all = repo.referrersOf(digest);
    const expected = new Map<string, ManifestFact>(all.filter((m) => !filtered || m.artifactType === this.p.filter).map((m) => [m.content.digest, m]));
    const seen = new Set<string>();
    for (const entry of listed) {
      const key = String(entry.digest);
      ensure(!seen.has(key), `${what}: ${key} is listed twice`);
      seen.add(key);
      const fact = expected.get(key);
      if (!fact) {
        const other = all.find((m) => m.content.digest === key);
        throw new CheckFailure(other
          ? `${what}: ${key} (artifactType ${other.artifactType}) is listed, but the answer claims OCI-Filters-Applied: artifactType=${this.p.filter}`
          : `${what}: ${key} is listed but is not a manifest of this repository with that subject`);
      }
      ensure(entry.mediaType === fact.content.mediaType, `${what}: ${key} listed with mediaType ${String(entry.mediaType)}, expected ${fact.content.mediaType}`);
      ensure(entry.size === fact.content.size, `${what}: ${key} listed with size ${String(entry.size)}, expected ${fact.content.size}`);
      ensure(entry.artifactType === fact.artifactType, `${what}: ${key} listed with artifactType ${String(entry.artifactType)}, expected ${String(fact.artifactType)}`);
      ensure(sameAnnotations(entry.annotations, fact.annotations), `${what}: ${key} listed with annotations ${JSON.stringify(entry.annotations)}, expected ${JSON.stringify(fact.annotations ?? {})}`);
    }
    const missing = [...expected.keys()].filter((d) => !seen.has(d));
    ensure(missing.length === 0, `${what}: missing referrers ${missing.join(', ')}${filtered ? ' (filtered by artifactType)' : ''}`);
  }

  toString(): string {
    return `ListReferrers(repo ${this.p.repo}, subject #${this.p.subject}${this.p.filter === undefined ? '' : `, artifactType ${this.p.filter.replace('application/vnd.example.', '')}`})`;
  }
}

export const listReferrersCommand: fc.Arbitrary<ListReferrers> = fc
  .record({ repo: repoIndex, subject: position, filter: fc.option(artifactType, { nil: undefined }) })
  .map((p) => new ListReferrers(p));
