/**
 * The model of the property layer: what a registry must hold after a sequence of operations,
 * kept far simpler than any registry — per repository, the blobs and manifests it holds (by
 * digest, with their exact bytes) and its tags. The spec's state is all here: a blob or manifest
 * exists in a repository or it does not (end-2, end-3 "404 when not found"), a tag names one
 * manifest, deleting a manifest takes every tag pointing to it (end-9), deleting a tag only that
 * tag. Garbage collection is outside the spec: after a collection gc-expectations.ts says what
 * had to stay, what had to go and what may go either way, and collect.ts looks at each item so
 * the model learns what the registry did. Every digest the run ever used is in the universe, so the probe can check that what is
 * absent really is absent — in every repository, which is how a blob served from the wrong
 * repository shows.
 */
import type { Content } from '../content.ts';

/** When an item arrived, on the clock of this machine: its push started at `at`, ended at `done`. */
export interface Arrival {
  readonly at: number;
  readonly done: number;
}

export interface BlobFact extends Arrival {
  readonly content: Content;
}

export interface ManifestFact extends Arrival {
  readonly content: Content;
  readonly kind: 'image' | 'index';
  /** Config and layers: blobs the manifest references. */
  readonly blobs: readonly string[];
  /** Child manifests of an index. */
  readonly children: readonly string[];
  readonly subject: string | undefined;
  /** What the referrers API must report: artifactType, else the config's media type for an image. */
  readonly artifactType: string | undefined;
  readonly annotations: Readonly<Record<string, string>> | undefined;
}

export class RepoModel {
  readonly index: number;
  readonly name: string;
  readonly blobs = new Map<string, BlobFact>();
  readonly manifests = new Map<string, ManifestFact>();
  /** tag → digest of the manifest it names. */
  readonly tags = new Map<string, string>();

  constructor(index: number, name: string) {
    this.index = index;
    this.name = name;
  }

  presentBlobs(): string[] {
    return [...this.blobs.keys()];
  }

  presentManifests(): ManifestFact[] {
    return [...this.manifests.values()];
  }

  hasBlob(digest: string): boolean {
    return this.blobs.has(digest);
  }

  hasManifest(digest: string): boolean {
    return this.manifests.has(digest);
  }

  /**
   * A blob pushed (or mounted) again: registries date it from the first or the latest push, so the
   * model keeps both ends — young means young from the first push, old means old since the last.
   */
  addBlob(fact: BlobFact): void {
    const known = this.blobs.get(fact.content.digest);
    this.blobs.set(fact.content.digest, known ? merge(known, fact) : fact);
  }

  addManifest(fact: ManifestFact, tags: readonly string[]): void {
    const known = this.manifests.get(fact.content.digest);
    this.manifests.set(fact.content.digest, known ? merge(known, fact) : fact);
    for (const tag of tags) this.tags.set(tag, fact.content.digest);
  }

  /** DELETE /manifests/<digest>: the manifest and every tag pointing to it go (end-9). */
  deleteManifest(digest: string): void {
    this.manifests.delete(digest);
    for (const [tag, target] of this.tags) if (target === digest) this.tags.delete(tag);
  }

  tagsOf(digest: string): string[] {
    return [...this.tags.entries()].filter(([, target]) => target === digest).map(([tag]) => tag);
  }

  /** Manifests whose subject is `digest` (spec "Listing Referrers"). */
  referrersOf(digest: string): ManifestFact[] {
    return this.presentManifests().filter((m) => m.subject === digest);
  }

  /** Whether a present manifest references the blob (as config or layer). */
  blobReferenced(digest: string): boolean {
    return this.presentManifests().some((m) => m.blobs.includes(digest));
  }
}

export class Model {
  readonly repos: readonly RepoModel[];
  /** Every blob digest this run used, with its bytes: probed in every repository. */
  readonly blobUniverse = new Map<string, Content>();
  /** Every manifest digest this run used (pushed, attempted, or named as a missing subject). */
  readonly manifestUniverse = new Map<string, Content>();
  /** Steps run so far, for messages. */
  step = 0;
  /** The steps that ran, in order: the command list of a counterexample. */
  readonly trace: string[] = [];

  constructor(repoNames: readonly string[]) {
    this.repos = repoNames.map((name, i) => new RepoModel(i, name));
  }

  repo(index: number): RepoModel {
    const repo = this.repos[index % this.repos.length];
    if (!repo) throw new Error('the model has no repositories');
    return repo;
  }

  noteBlob(content: Content): void {
    this.blobUniverse.set(content.digest, content);
  }

  noteManifest(content: Content): void {
    this.manifestUniverse.set(content.digest, content);
  }
}

function merge<T extends Arrival>(known: T, fresh: T): T {
  return { ...fresh, at: Math.min(known.at, fresh.at), done: Math.max(known.done, fresh.done) };
}

/**
 * Picks one of `items` by an arbitrary's index, resolved when the command runs (fast-check's
 * advice). Counted from the end — index 0 is the newest — so that when the shrinker removes
 * earlier steps, a step still picks what the steps just before it made.
 */
export function pick<T>(items: readonly T[], index: number): T | undefined {
  return items.length === 0 ? undefined : items[items.length - 1 - (index % items.length)];
}
