/**
 * The store as the page shows it, read straight from the image store (reference/store), never
 * through HTTP: repositories; per repository its tags, manifests (media type, tags, subject,
 * artifactType), blobs (size, and the media type and role the descriptors pointing at them give),
 * and its OCI image layout on disk (image-spec image-layout.md: oci-layout, index.json as stored,
 * blobs/<alg>/<hex>); one manifest as stored with what each digest in it names; one blob's details
 * with its content when it is JSON or text. Everything is bounded: lists are capped, blob content
 * is read up to PREVIEW_BYTES.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { ImageStore } from '../reference/store/image-store.ts';
import { tagOf } from '../reference/store/manifests.ts';
import { bodyView, type BodyView } from './body-view.ts';

/** Manifests and blobs listed per repository, and files of its layout. */
const LIST_LIMIT = 500;
/** Bytes of a blob read for its preview. */
const PREVIEW_BYTES = 64 * 1024;

export interface RepositorySummary {
  readonly name: string;
  readonly tags: number;
  readonly manifests: number;
  readonly blobs: number;
}

export interface Role {
  readonly role: 'config' | 'layer' | 'child' | 'subject' | 'blob';
  /** The manifest whose descriptor names it. */
  readonly of: string;
  /** What the descriptor names. */
  readonly digest: string;
  readonly mediaType: string;
}

export interface ManifestRow {
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
  readonly tags: readonly string[];
  readonly artifactType: string | undefined;
  readonly subject: string | undefined;
}

export interface BlobRow {
  readonly digest: string;
  readonly size: number;
  readonly modified: string;
  /** A manifest of the repository (its bytes are a blob file too). */
  readonly manifest: boolean;
  readonly roles: readonly Role[];
}

export interface RepositoryView {
  readonly name: string;
  readonly tags: readonly { tag: string; digest: string }[];
  readonly manifests: readonly ManifestRow[];
  readonly blobs: readonly BlobRow[];
  readonly truncated: boolean;
  readonly layout: { readonly dir: string; readonly indexJson: string; readonly files: readonly { path: string; size: number }[] };
}

interface Descriptorish {
  readonly mediaType?: unknown;
  readonly digest?: unknown;
}

/** What a manifest body's descriptors name: config, layers, artifact `blobs`, children, subject. */
export function rolesIn(body: unknown, of: string): Role[] {
  if (typeof body !== 'object' || body === null) return [];
  const value = body as Record<string, unknown>;
  const list = (field: unknown): unknown[] => (Array.isArray(field) ? field : []);
  const named: [Role['role'], unknown][] = [
    ['config', value.config],
    ...list(value.layers).map((d): [Role['role'], unknown] => ['layer', d]),
    ...list(value.blobs).map((d): [Role['role'], unknown] => ['blob', d]),
    ...list(value.manifests).map((d): [Role['role'], unknown] => ['child', d]),
    ['subject', value.subject],
  ];
  return named.flatMap(([role, d]) => {
    const descriptor = d as Descriptorish | null | undefined;
    if (typeof descriptor?.digest !== 'string') return [];
    return [{ role, of, digest: descriptor.digest, mediaType: typeof descriptor.mediaType === 'string' ? descriptor.mediaType : '' }];
  });
}

async function manifestJson(store: ImageStore, name: string, digest: string): Promise<unknown> {
  try {
    return JSON.parse((await store.manifests.get(name, digest)).body.toString('utf8'));
  } catch {
    return undefined;
  }
}

export async function listRepositories(store: ImageStore): Promise<RepositorySummary[]> {
  const out: RepositorySummary[] = [];
  for (const name of (await store.layout.listRepositories()).slice(0, LIST_LIMIT)) {
    const index = await store.layout.readIndex(name);
    if (!index) continue;
    const tags = index.manifests.filter((entry) => tagOf(entry) !== undefined).length;
    const manifests = new Set(index.manifests.map((entry) => entry.digest)).size;
    out.push({ name, tags, manifests, blobs: (await store.blobs.list(name)).length });
  }
  return out;
}

export async function describeRepository(store: ImageStore, name: string): Promise<RepositoryView | undefined> {
  const dir = store.layout.repoDir(name);
  const indexJson = await readFile(join(dir, 'index.json'), 'utf8').catch(() => undefined);
  const index = await store.layout.readIndex(name);
  if (indexJson === undefined || !index) return undefined;
  const rows = new Map<string, { mediaType: string; size: number; tags: string[] }>();
  const tags: { tag: string; digest: string }[] = [];
  for (const entry of index.manifests) {
    const row = rows.get(entry.digest) ?? { mediaType: entry.mediaType, size: entry.size, tags: [] };
    const tag = tagOf(entry);
    if (tag !== undefined) {
      row.tags.push(tag);
      tags.push({ tag, digest: entry.digest });
    }
    rows.set(entry.digest, row);
  }
  const roles = new Map<string, Role[]>();
  const manifests: ManifestRow[] = [];
  for (const [digest, row] of [...rows].slice(0, LIST_LIMIT)) {
    const summary = await store.manifests.summary(name, digest, row.mediaType);
    manifests.push({ digest, ...row, artifactType: summary?.artifactType, subject: summary?.subject });
    for (const role of rolesIn(await manifestJson(store, name, digest), digest)) roles.set(role.digest, [...(roles.get(role.digest) ?? []), role]);
  }
  const stored = await store.blobs.list(name);
  const blobs = stored.slice(0, LIST_LIMIT).map((blob) => ({
    digest: blob.digest,
    size: blob.size,
    modified: new Date(blob.mtimeMs).toISOString(),
    manifest: rows.has(blob.digest),
    roles: roles.get(blob.digest) ?? [],
  }));
  return {
    name,
    tags: tags.sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0)),
    manifests,
    blobs,
    truncated: rows.size > LIST_LIMIT || stored.length > LIST_LIMIT,
    layout: { dir, indexJson, files: await layoutFiles(dir) },
  };
}

/** Every file of the repository's layout, relative to it, sorted. */
async function layoutFiles(dir: string): Promise<{ path: string; size: number }[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files: { path: string; size: number }[] = [];
  for (const entry of entries) {
    if (!entry.isFile() || files.length >= LIST_LIMIT) continue;
    const path = join(entry.parentPath, entry.name);
    const size = await stat(path).then((s) => s.size, () => 0);
    files.push({ path: relative(dir, path), size });
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : 1));
}

export interface ManifestView {
  readonly name: string;
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
  readonly tags: readonly string[];
  /** The bytes as stored (UTF-8). */
  readonly text: string;
  /** What each digest in the manifest names in this repository. */
  readonly digests: Readonly<Record<string, 'manifest' | 'blob' | 'missing'>>;
  readonly referrers: readonly { digest: string; artifactType?: string; annotations?: Record<string, string> }[];
}

export async function describeManifest(store: ImageStore, name: string, digest: string): Promise<ManifestView> {
  const manifest = await store.manifests.get(name, digest);
  const index = await store.layout.readIndex(name);
  const inIndex = new Set(index?.manifests.map((entry) => entry.digest));
  const tags = (index?.manifests ?? []).filter((entry) => entry.digest === digest).flatMap((entry) => tagOf(entry) ?? []);
  const text = manifest.body.toString('utf8');
  const digests: Record<string, 'manifest' | 'blob' | 'missing'> = {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  for (const { digest: found } of rolesIn(parsed, digest)) {
    digests[found] = inIndex.has(found) ? 'manifest' : (await store.blobs.has(name, found)) ? 'blob' : 'missing';
  }
  const referrers = await store.manifests.referrers(name, digest);
  for (const referrer of referrers) digests[referrer.digest] = 'manifest';
  return { name, digest, mediaType: manifest.mediaType, size: manifest.size, tags, text, digests, referrers };
}

export interface BlobView {
  readonly name: string;
  readonly digest: string;
  readonly size: number;
  readonly roles: readonly Role[];
  readonly content: BodyView;
}

export async function describeBlob(store: ImageStore, name: string, digest: string): Promise<BlobView> {
  const blob = await store.statBlob(name, digest);
  const chunks: Buffer[] = [];
  if (blob.size > 0) {
    for await (const chunk of store.blobs.open(blob, { start: 0, end: Math.min(blob.size, PREVIEW_BYTES) - 1 })) chunks.push(chunk as Buffer);
  }
  const roles: Role[] = [];
  const index = await store.layout.readIndex(name);
  for (const of of new Set(index?.manifests.map((entry) => entry.digest))) {
    roles.push(...rolesIn(await manifestJson(store, name, of), of).filter((role) => role.digest === digest));
    if (roles.length >= LIST_LIMIT) break;
  }
  return { name, digest, size: blob.size, roles, content: bodyView(Buffer.concat(chunks), blob.size) };
}
