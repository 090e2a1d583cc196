/**
 * The metadata workloads. manifest-head and manifest-get read one image by tag (spec "Pulling
 * manifests", end-3: the exact bytes pushed, their Content-Type, Docker-Content-Digest);
 * tags-list walks a repository of many tags page by page with `n` and the Link header ("Listing
 * Tags", end-8b) and checks every tag came back exactly once; referrers walks the referrers of a
 * subject ("Listing Referrers", end-12, with Link pages) and checks the set. A registry whose
 * referrers API answers 404 does not offer it.
 */
import { createHash } from 'node:crypto';
import { CheckFailure } from '../../conformance/client/errors.ts';
import { ACCEPT_MANIFESTS, bareType, nextLink } from '../../conformance/client/headers.ts';
import type { Reply } from '../../conformance/client/registry-client.ts';
import { OCI_EMPTY, OCI_LAYER_TAR_GZIP, OCI_MANIFEST } from '../../spec/media-types.ts';
import type { PushedManifest } from '../ledger.ts';
import { forEachLimit } from '../parallel.ts';
import { KiB, type Settings } from '../settings.ts';
import { Anomaly, expectStatus, getDocument, parseJson, send } from '../verify.ts';
import { memo } from './memo.ts';
import { pushMonolithic } from './push.ts';
import type { OpResult, Target, Workload } from './types.ts';

const EMPTY = Buffer.from('{}');
const EMPTY_DESCRIPTOR = { mediaType: OCI_EMPTY, digest: `sha256:${createHash('sha256').update(EMPTY).digest('hex')}`, size: 2 };
const ARTIFACT_TYPE = 'application/vnd.touchstone.bench.v1';
const SETUP_PARALLEL = 8;

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The empty config blob `{}` and a 1 KiB layer in `repo`: what every manifest below references. */
async function pushParts(target: Target, repo: string): Promise<{ mediaType: string; digest: string; size: number }> {
  const reply = await send(target.client, 'POST', `/v2/${repo}/blobs/uploads/?digest=${EMPTY_DESCRIPTOR.digest}`, { headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': '2' }, body: EMPTY });
  if (reply.status === 202) {
    const session = target.client.resolve(reply.header('location') ?? '');
    const put = await send(target.client, 'PUT', `${session}${session.includes('?') ? '&' : '?'}digest=${EMPTY_DESCRIPTOR.digest}`, { headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': '2' }, body: EMPTY });
    expectStatus(put, [201], 'PUT the empty config');
  } else {
    expectStatus(reply, [201], 'POST the empty config');
  }
  target.setup.blob(repo, EMPTY_DESCRIPTOR);
  const layer = target.fresh(KiB);
  await pushMonolithic(target, repo, layer);
  target.setup.blob(repo, layer);
  return { mediaType: OCI_LAYER_TAR_GZIP, digest: layer.digest, size: layer.size };
}

function manifestBytes(layer: object, extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: EMPTY_DESCRIPTOR, layers: [layer], ...extra }));
}

/** PUT a manifest under `reference` (a tag or its digest): 201 (end-7). */
async function putManifest(target: Target, repo: string, reference: string, bytes: Buffer): Promise<PushedManifest> {
  const reply = await send(target.client, 'PUT', `/v2/${repo}/manifests/${reference}`, { headers: { 'Content-Type': OCI_MANIFEST }, body: bytes });
  expectStatus(reply, [201], `PUT /v2/${repo}/manifests/${reference}`);
  return { repo, digest: sha256(bytes), bytes, mediaType: OCI_MANIFEST };
}

/** One image tagged `latest` in <prefix>/manifests. */
function image(target: Target): Promise<PushedManifest> {
  return memo(target, 'image', async () => {
    const repo = `${target.prefix}/manifests`;
    const manifest = await putManifest(target, repo, 'latest', manifestBytes(await pushParts(target, repo)));
    target.setup.manifest(manifest);
    return manifest;
  });
}

export const MANIFEST_HEAD: Workload = {
  name: 'manifest-head',
  description: 'HEAD a manifest by tag (end-3)',
  sized: false,
  pushShare: () => 0,
  setupBytes: () => KiB,
  async prepare(target) {
    const m = await image(target);
    const path = `/v2/${m.repo}/manifests/latest`;
    return {
      op: async (): Promise<OpResult> => {
        const reply = await send(target.client, 'HEAD', path, { headers: ACCEPT_MANIFESTS });
        expectStatus(reply, [200], `HEAD ${path}`);
        const digest = reply.header('docker-content-digest');
        if (digest !== undefined && digest !== m.digest) throw new Anomaly('wrong Docker-Content-Digest', `HEAD ${path}: ${digest}, pushed ${m.digest}`);
        const length = reply.header('content-length');
        if (length !== undefined && Number(length) !== m.bytes.length) throw new Anomaly('wrong Content-Length', `HEAD ${path}: Content-Length ${length}, the manifest has ${m.bytes.length} bytes`);
        return { bytes: 0, requests: 1 };
      },
    };
  },
};

export const MANIFEST_GET: Workload = {
  name: 'manifest-get',
  description: 'GET a manifest by tag, byte for byte (end-3)',
  sized: false,
  pushShare: () => 0,
  setupBytes: () => KiB,
  async prepare(target) {
    const m = await image(target);
    const path = `/v2/${m.repo}/manifests/latest`;
    return {
      op: async (): Promise<OpResult> => {
        const { reply, body, ttfbMs } = await getDocument(target.client, path, ACCEPT_MANIFESTS);
        expectStatus(reply, [200], `GET ${path}`);
        if (!body.equals(m.bytes)) throw new Anomaly('manifest bytes differ', `GET ${path}: ${body.length} bytes that differ from the ${m.bytes.length} pushed`);
        const type = bareType(reply.header('content-type'));
        if (type !== m.mediaType) throw new Anomaly('wrong Content-Type', `GET ${path}: Content-Type ${type ?? 'missing'}, pushed as ${m.mediaType}`);
        return { bytes: body.length, requests: 1, ttfbMs };
      },
    };
  },
};

/** The next page of a paged answer, or undefined; a malformed Link is an anomaly. */
function next(reply: Reply, what: string): string | undefined {
  try {
    return nextLink(reply, what);
  } catch (error) {
    if (error instanceof CheckFailure) throw new Anomaly('invalid Link', error.message);
    throw error;
  }
}

/** Walks every page from `first`; returns the items of each page (by `pick`) and what it cost. */
async function walk(target: Target, first: string, limit: number, pick: (document: unknown, what: string) => string[]): Promise<{ items: string[]; result: OpResult }> {
  const items: string[] = [];
  let url: string | undefined = first;
  let bytes = 0;
  let requests = 0;
  let ttfbMs: number | undefined;
  while (url !== undefined) {
    if (requests > limit) throw new Anomaly('paging does not end', `${first}: still a next page after ${requests} pages`);
    const what = `GET ${url}`;
    const page = await getDocument(target.client, url);
    expectStatus(page.reply, [200], what);
    ttfbMs ??= page.ttfbMs;
    requests += 1;
    bytes += page.body.length;
    items.push(...pick(parseJson(page.body, what), what));
    url = next(page.reply, what);
  }
  return { items, result: { bytes, requests, ttfbMs: ttfbMs ?? 0 } };
}

/** Every expected item exactly once, nothing else. */
function expectSet(items: readonly string[], expected: ReadonlySet<string>, what: string): void {
  const seen = new Set(items);
  if (seen.size !== items.length) throw new Anomaly('repeated items', `${what}: ${items.length - seen.size} listed twice`);
  const missing = [...expected].filter((item) => !seen.has(item));
  if (missing.length > 0) throw new Anomaly('missing items', `${what}: ${missing.length} of ${expected.size} missing (${missing.slice(0, 3).join(', ')}…)`);
  if (seen.size !== expected.size) throw new Anomaly('unexpected items', `${what}: ${seen.size - expected.size} not pushed`);
}

function tagName(i: number): string {
  return `t${String(i).padStart(6, '0')}`;
}

export const TAGS_LIST: Workload = {
  name: 'tags-list',
  description: 'list every tag of a repository of --tags tags, --page-size at a time, following Link (end-8b)',
  sized: false,
  pushShare: () => 0,
  setupBytes: () => KiB,
  async prepare(target, settings: Settings) {
    const repo = `${target.prefix}/tags`;
    const expected = await memo(target, 'tags', async () => {
      const bytes = manifestBytes(await pushParts(target, repo));
      const tags = Array.from({ length: settings.tags }, (_, i) => tagName(i));
      let pushed: PushedManifest | undefined;
      await forEachLimit(tags, SETUP_PARALLEL, async (tag) => {
        pushed = await putManifest(target, repo, tag, bytes);
      });
      if (pushed) target.setup.manifest(pushed);
      return new Set(tags);
    });
    const first = `/v2/${repo}/tags/list?n=${settings.pageSize}`;
    return {
      op: async () => {
        const { items, result } = await walk(target, first, expected.size + 1, (document, what) => {
          const tags = (document as { tags?: unknown }).tags;
          if (tags !== null && tags !== undefined && !Array.isArray(tags)) throw new Anomaly('invalid JSON', `${what}: "tags" is not a list`);
          return (tags ?? []) as string[];
        });
        expectSet(items, expected, `GET ${first} and its pages`);
        return result;
      },
    };
  },
};

export const REFERRERS: Workload = {
  name: 'referrers',
  description: 'list the --referrers referrers of a subject, following Link (end-12)',
  sized: false,
  pushShare: () => 0,
  setupBytes: (settings) => KiB + settings.referrers * KiB,
  async prepare(target, settings: Settings) {
    const repo = `${target.prefix}/referrers`;
    const prepared = await memo(target, 'referrers', async () => {
      const layer = await pushParts(target, repo);
      const subject = await putManifest(target, repo, 'subject', manifestBytes(layer));
      target.setup.manifest(subject);
      const path = `/v2/${repo}/referrers/${subject.digest}`;
      const probe = await getDocument(target.client, path);
      if (probe.reply.status === 404) return { unsupported: 'no referrers API (GET /v2/<name>/referrers/<digest> answered 404)' };
      expectStatus(probe.reply, [200], `GET ${path}`);
      const digests = new Set<string>();
      const subjectDescriptor = { mediaType: OCI_MANIFEST, digest: subject.digest, size: subject.bytes.length };
      await forEachLimit(Array.from({ length: settings.referrers }, (_, i) => i), SETUP_PARALLEL, async (i) => {
        const bytes = manifestBytes(EMPTY_DESCRIPTOR, { artifactType: ARTIFACT_TYPE, subject: subjectDescriptor, annotations: { 'org.touchstone.bench.n': String(i) } });
        const referrer = await putManifest(target, repo, sha256(bytes), bytes);
        target.setup.manifest(referrer);
        digests.add(referrer.digest);
      });
      return { path, digests };
    });
    if (prepared.unsupported !== undefined) return { unsupported: prepared.unsupported };
    return {
      op: async () => {
        const { items, result } = await walk(target, prepared.path, prepared.digests.size + 1, (document, what) => {
          const manifests = (document as { manifests?: unknown }).manifests;
          if (!Array.isArray(manifests)) throw new Anomaly('invalid JSON', `${what}: no "manifests" list`);
          return manifests.map((d: { digest?: string }) => String(d.digest));
        });
        expectSet(items, prepared.digests, `GET ${prepared.path} and its pages`);
        return result;
      },
    };
  },
};
