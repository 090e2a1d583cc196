/**
 * The concurrent writers of the kills scenario and the world they share. Each writer pushes blobs
 * by every flow (and mounts them), image manifests and indexes under its own tags, under tags all
 * writers share, and by digest; moves tags; deletes tags, manifests and blobs — into repositories
 * that exist and into new ones it creates at random instants. Every write goes to the Ledger before
 * it is sent and is acknowledged there when the registry answers 201/202, so what may be lost at a
 * kill is exactly known. Keys a writer deletes are its own (a blob no manifest references, a
 * manifest no tag or index names), so one writer's delete never races another's reference; tags
 * are shared and raced on purpose.
 */
import { randomBytes } from 'node:crypto';
import { content, imageConfig, imageIndex, imageManifest, type Content } from '../conformance/content.ts';
import { OCI_LAYER_TAR_GZIP } from '../spec/media-types.ts';
import { FLOWS, mountBlob, pushBlob } from './flows.ts';
import { NoAnswer, type Answer, type Client } from './http.ts';
import { ABSENT, type Ledger, type Write } from './ledger.ts';
import type { Random } from './random.ts';

export const PRESENT = '<present>';
const SHARED_TAGS = 4;
const OWN_TAGS = 3;

type BlobRole = 'config' | 'layer' | 'loose';
type ManifestRole = 'image' | 'index' | 'deletable';

interface Owned<R> {
  readonly repo: string;
  readonly content: Content;
  readonly role: R;
  readonly owner: number;
}

/** An upload session opened through the flows; `acked` bytes were acknowledged, `sent` at most were sent. */
export interface Session {
  readonly repo: string;
  /** The session's path and query on the registry (the registry's port changes at each restart). */
  readonly path: string;
  /** The blob's key: once the closing PUT lands, the session is gone and the blob present. */
  readonly blob: string;
  acked: number;
  sent: number;
  closed: boolean;
}

export const blobKey = (repo: string, digest: string): string => `blob ${repo} ${digest}`;
export const manifestKey = (repo: string, digest: string): string => `manifest ${repo} ${digest}`;
export const tagKey = (repo: string, tag: string): string => `tag ${repo} ${tag}`;

export class World {
  readonly ledger: Ledger;
  readonly repos: string[];
  readonly blobs = new Map<string, Owned<BlobRole>>();
  readonly manifests = new Map<string, Owned<ManifestRole>>();
  /** Sessions opened since the last check; the checker looks at those still open. */
  sessions: Session[] = [];
  /** Write requests the registry acknowledged (201/202), chunks included. */
  acknowledged = 0;
  readonly unexpected: string[] = [];
  unexpectedCount = 0;
  /** owner → kind → repo ('' for all) → keys, so a writer finds its own items without a scan. */
  readonly #owned = new Map<string, string[]>();
  readonly #homes = new Map<number, string[]>();

  constructor(ledger: Ledger, repos: readonly string[]) {
    this.ledger = ledger;
    this.repos = [...repos];
  }

  addBlob(key: string, item: Owned<BlobRole>): void {
    if (this.blobs.has(key)) return;
    this.blobs.set(key, item);
    this.#index('blob', key, item);
  }

  addManifest(key: string, item: Owned<ManifestRole>): void {
    if (this.manifests.has(key)) return;
    this.manifests.set(key, item);
    this.#index('manifest', key, item);
  }

  /** Keys of `owner`'s blobs or manifests, in `repo` or anywhere. */
  owned(owner: number, kind: 'blob' | 'manifest', repo = ''): readonly string[] {
    return this.#owned.get(`${owner} ${kind} ${repo}`) ?? [];
  }

  present(key: string): boolean {
    return this.ledger.believed(key) !== ABSENT;
  }

  /** A 2xx was expected: keep a few samples of what came instead. */
  noteUnexpected(what: string): void {
    this.unexpectedCount += 1;
    if (this.unexpected.length < 10) this.unexpected.push(what);
  }

  /** Repositories `owner` has written blobs to. */
  homes(owner: number): readonly string[] {
    return this.#homes.get(owner) ?? [];
  }

  #index(kind: 'blob' | 'manifest', key: string, item: Owned<string>): void {
    const homes = this.#homes.get(item.owner) ?? [];
    if (!homes.includes(item.repo)) homes.push(item.repo);
    this.#homes.set(item.owner, homes);
    for (const repo of ['', item.repo]) {
      const slot = `${item.owner} ${kind} ${repo}`;
      const keys = this.#owned.get(slot) ?? [];
      keys.push(key);
      this.#owned.set(slot, keys);
    }
  }
}

export interface WriterOptions {
  readonly id: number;
  readonly cycle: number;
  /** Instants (ms after the start) at which the next blob goes into a new repository. */
  readonly newRepoAt: number[];
  readonly maxOps: number;
}

const OPS = { blob: 36, mount: 5, manifest: 24, index: 6, move: 12, untag: 5, deleteManifest: 6, deleteBlob: 6 } as const;

export class Writer {
  readonly #world: World;
  readonly #client: Client;
  readonly #rng: Random;
  readonly #options: WriterOptions;
  readonly #started = performance.now();
  #newRepos = 0;

  constructor(world: World, client: Client, rng: Random, options: WriterOptions) {
    this.#world = world;
    this.#client = client;
    this.#rng = rng;
    this.#options = options;
  }

  /** Writes until `stopped()` (the kill) or maxOps operations. */
  async run(stopped: () => boolean): Promise<void> {
    let ops = 0;
    while (!stopped() && ops < this.#options.maxOps) {
      ops += 1;
      try {
        await this.#step();
      } catch (error) {
        if (!(error instanceof NoAnswer)) throw error;
        if (stopped()) break;
        this.#world.noteUnexpected(`no answer before the kill: ${error.message}`);
      }
    }
  }

  async #step(): Promise<void> {
    const rng = this.#rng;
    const due = this.#options.newRepoAt[0];
    if (due !== undefined && performance.now() - this.#started >= due) {
      this.#options.newRepoAt.shift();
      const repo = `kill/c${this.#options.cycle}-w${this.#options.id}-${this.#newRepos++}`;
      this.#world.repos.push(repo);
      if (rng.chance(0.2)) {
        const source = this.#mine('blob', '', (b) => b.role !== 'loose');
        if (source) return this.#mount(source, repo);
      }
      return this.#blob(repo, rng.pick(['config', 'layer'] as const));
    }
    // Mostly a repository this writer has pushed to (so it has blobs there for manifests), else any.
    const homes = this.#world.homes(this.#options.id);
    const repo = homes.length > 0 && rng.chance(0.7) ? rng.pick(homes) : rng.pick(this.#world.repos);
    switch (rng.weighted(OPS)) {
      case 'blob':
        return this.#blob(repo, rng.weighted({ config: 25, layer: 50, loose: 25 }));
      case 'mount': {
        const source = this.#mine('blob', '', (b) => b.role !== 'loose' && b.repo !== repo);
        return source ? this.#mount(source, repo) : this.#blob(repo, 'layer');
      }
      case 'manifest':
        return this.#manifest(repo);
      case 'index':
        return this.#index(repo);
      case 'move': {
        const target = this.#mine('manifest', repo, (m) => m.role !== 'deletable');
        return target ? this.#put(repo, this.#tag(), target.content) : this.#manifest(repo);
      }
      case 'untag':
        return this.#untag(repo, this.#tag());
      case 'deleteManifest': {
        const victim = this.#mine('manifest', '', (m) => m.role === 'deletable');
        return victim ? this.#delete(manifestKey(victim.repo, victim.content.digest), `/v2/${victim.repo}/manifests/${victim.content.digest}`) : this.#manifest(repo);
      }
      case 'deleteBlob': {
        const victim = this.#mine('blob', '', (b) => b.role === 'loose');
        return victim ? this.#delete(blobKey(victim.repo, victim.content.digest), `/v2/${victim.repo}/blobs/${victim.content.digest}`) : this.#blob(repo, 'loose');
      }
    }
  }

  /** One of this writer's blobs or manifests (in `repo`, or anywhere), believed present, matching `filter`. */
  #mine(kind: 'blob', repo: string, filter: (item: Owned<BlobRole>) => boolean): Owned<BlobRole> | undefined;
  #mine(kind: 'manifest', repo: string, filter: (item: Owned<ManifestRole>) => boolean): Owned<ManifestRole> | undefined;
  #mine(kind: 'blob' | 'manifest', repo: string, filter: (item: Owned<never>) => boolean): Owned<string> | undefined {
    const items: ReadonlyMap<string, Owned<string>> = kind === 'blob' ? this.#world.blobs : this.#world.manifests;
    const keys = this.#world.owned(this.#options.id, kind, repo);
    const fits = (key: string): boolean => filter(items.get(key) as Owned<never>) && this.#world.present(key);
    // A few random tries first: most items fit; a full scan only when they all missed.
    for (let attempt = 0; attempt < 16 && keys.length > 0; attempt++) {
      const key = this.#rng.pick(keys);
      if (fits(key)) return items.get(key);
    }
    const fitting = keys.filter(fits);
    return fitting.length > 0 ? items.get(this.#rng.pick(fitting)) : undefined;
  }

  #tag(): string {
    return this.#rng.chance(0.5) ? `s${this.#rng.int(SHARED_TAGS)}` : `w${this.#options.id}-${this.#rng.int(OWN_TAGS)}`;
  }

  #size(): number {
    const roll = this.#rng.next();
    if (roll < 0.7) return this.#rng.between(64, 8 * 1024);
    if (roll < 0.95) return this.#rng.between(8 * 1024, 64 * 1024);
    return this.#rng.between(64 * 1024, 512 * 1024);
  }

  async #blob(repo: string, role: BlobRole): Promise<void> {
    const blob = role === 'config' ? imageConfig(randomBytes(8).toString('hex')) : content(randomBytes(this.#size()), OCI_LAYER_TAR_GZIP);
    const key = blobKey(repo, blob.digest);
    this.#world.addBlob(key, { repo, content: blob, role, owner: this.#options.id });
    const write = this.#world.ledger.begin(key, PRESENT);
    let session: Session | undefined;
    const flow = this.#rng.pick(FLOWS);
    const answer = await pushBlob(this.#client, repo, blob, flow, Math.ceil(blob.size / this.#rng.between(2, 4)), {
      onSession: (url) => {
        const { pathname, search } = new URL(url);
        session = { repo, blob: key, path: `${pathname}${search}`, acked: 0, sent: 0, closed: false };
        this.#world.sessions.push(session);
      },
      onSending: (bytes) => {
        if (session) session.sent = bytes;
      },
      onChunk: (bytes) => {
        if (!session) return;
        session.acked = bytes;
        this.#world.acknowledged += 1;
      },
    });
    if (session) session.closed = answer.status === 201;
    this.#acknowledge([write], answer, 201, `${flow} blob push to ${repo}`);
  }

  async #mount(source: Owned<BlobRole>, repo: string): Promise<void> {
    const key = blobKey(repo, source.content.digest);
    this.#world.addBlob(key, { ...source, repo });
    const write = this.#world.ledger.begin(key, PRESENT);
    const answer = await mountBlob(this.#client, repo, source.content.digest, source.repo);
    const location = answer.header('location');
    if (answer.status === 202 && location !== undefined) await this.#client.request('DELETE', location);
    this.#acknowledge([write], answer, 201, `mount from ${source.repo} to ${repo}`);
  }

  async #manifest(repo: string): Promise<void> {
    // As a client pushes an image: the blobs it lacks first, then the manifest.
    if (!this.#mine('blob', repo, (b) => b.role === 'config')) await this.#blob(repo, 'config');
    if (!this.#mine('blob', repo, (b) => b.role === 'layer')) await this.#blob(repo, 'layer');
    const config = this.#mine('blob', repo, (b) => b.role === 'config');
    const layer = this.#mine('blob', repo, (b) => b.role === 'layer');
    if (!config || !layer) return;
    const layers = [layer.content];
    for (let extra = this.#rng.int(3); extra > 0; extra--) layers.push((this.#mine('blob', repo, (b) => b.role === 'layer') ?? layer).content);
    const manifest = imageManifest(config.content, layers, { annotations: { 'torture.id': randomBytes(8).toString('hex') } });
    const byDigest = this.#rng.chance(0.3);
    const role: ManifestRole = byDigest && this.#rng.chance(0.5) ? 'deletable' : 'image';
    this.#world.addManifest(manifestKey(repo, manifest.digest), { repo, content: manifest, role, owner: this.#options.id });
    return this.#put(repo, byDigest ? manifest.digest : this.#tag(), manifest);
  }

  async #index(repo: string): Promise<void> {
    const children: Content[] = [];
    for (let n = this.#rng.between(1, 3); n > 0; n--) {
      const child = this.#mine('manifest', repo, (m) => m.role === 'image');
      if (child && !children.includes(child.content)) children.push(child.content);
    }
    if (children.length === 0) return this.#manifest(repo);
    const index = imageIndex(children, { annotations: { 'torture.id': randomBytes(8).toString('hex') } });
    this.#world.addManifest(manifestKey(repo, index.digest), { repo, content: index, role: 'index', owner: this.#options.id });
    return this.#put(repo, this.#rng.chance(0.3) ? index.digest : this.#tag(), index);
  }

  /** PUT a manifest under a tag or its digest: the manifest is present and, for a tag, the tag points to it. */
  async #put(repo: string, reference: string, manifest: Content): Promise<void> {
    const writes = [this.#world.ledger.begin(manifestKey(repo, manifest.digest), PRESENT)];
    if (reference !== manifest.digest) {
      writes.push(this.#world.ledger.begin(tagKey(repo, reference), manifest.digest));
    }
    const answer = await this.#client.putManifest(repo, reference, manifest);
    this.#acknowledge(writes, answer, 201, `PUT /v2/${repo}/manifests/${reference}`);
  }

  async #untag(repo: string, tag: string): Promise<void> {
    const key = tagKey(repo, tag);
    const write = this.#world.ledger.begin(key, ABSENT);
    const answer = await this.#client.request('DELETE', `/v2/${repo}/manifests/${tag}`);
    // 404: the tag was not there (another writer may have deleted it first); nothing was written.
    if (answer.status === 404) this.#world.ledger.retract(key, write);
    else this.#acknowledge([write], answer, 202, `DELETE /v2/${repo}/manifests/${tag}`);
  }

  async #delete(key: string, path: string): Promise<void> {
    const write = this.#world.ledger.begin(key, ABSENT);
    this.#acknowledge([write], await this.#client.request('DELETE', path), 202, `DELETE ${path}`);
  }

  /** One request's answer: `status` acknowledges every write it made (a PUT by tag writes the manifest and the tag). */
  #acknowledge(writes: readonly Write[], answer: Answer, status: number, what: string): void {
    if (answer.status === status) {
      for (const write of writes) this.#world.ledger.acknowledge(write);
      this.#world.acknowledged += 1;
    } else this.#world.noteUnexpected(`${what}: ${answer.status} ${answer.body.toString('utf8', 0, 200)}`);
  }
}
