/**
 * ConcurrentTagMove: several different manifests PUT under the same tag at once. Every PUT
 * answers 201; afterwards the tag names one of them (whichever the registry ordered last), and
 * every one of them is still pullable by digest — a moved tag leaves its old manifest in place.
 */
import fc from 'fast-check';
import { CheckFailure } from '../../client/errors.ts';
import { expectStatus } from '../../client/expect.ts';
import { digestOf } from '../../content.ts';
import { buildImage, prepareBuilt, putManifest } from '../actions.ts';
import { repoIndex, tag } from '../arbitraries.ts';
import type { Model } from '../model.ts';
import { ACCEPT_MANIFESTS } from '../../client/headers.ts';
import type { World } from '../world.ts';
import { imageShape } from './push-image.ts';
import { Step, show } from './step.ts';

export interface ConcurrentTagMoveParams {
  readonly repo: number;
  readonly tag: string;
  readonly configSeeds: readonly number[];
  readonly layers: readonly number[];
}

export class ConcurrentTagMove extends Step {
  readonly p: ConcurrentTagMoveParams;

  constructor(p: ConcurrentTagMoveParams) {
    super();
    this.p = p;
  }

  protected async act(model: Model, world: World, label: string): Promise<void> {
    const repo = model.repo(this.p.repo);
    const images = this.p.configSeeds.map((configSeed) => buildImage(world, { layers: this.p.layers, configSeed, docker: false }));
    for (const image of images) await prepareBuilt(world, model, repo, image, label);
    const at = Date.now();
    await Promise.all(images.map((image) => putManifest(world, repo.name, this.p.tag, image.manifest, undefined, `${label}: concurrent PUT`)));
    const done = Date.now();
    for (const image of images) repo.addManifest(image.fact({ at, done }), []);
    const path = `/v2/${repo.name}/manifests/${this.p.tag}`;
    const reply = await world.client.request('GET', path, { headers: ACCEPT_MANIFESTS });
    expectStatus(reply, [200], `${label}: GET ${path}`);
    const winner = digestOf(reply.body);
    if (!images.some((image) => image.manifest.digest === winner)) {
      throw new CheckFailure(`${label}: after concurrent PUTs of ${images.length} manifests under ${show(this.p.tag)}, the tag serves ${winner}, none of them`, reply.exchange);
    }
    repo.tags.set(this.p.tag, winner);
  }

  toString(): string {
    return `ConcurrentTagMove(repo ${this.p.repo}, tag ${show(this.p.tag)}, configs ${show(this.p.configSeeds)}, layers ${show(this.p.layers)})`;
  }
}

export const concurrentTagMoveCommand: fc.Arbitrary<ConcurrentTagMove> = fc
  .record({ repo: repoIndex, tag, configSeeds: fc.uniqueArray(fc.nat(5), { minLength: 2, maxLength: 3 }), layers: imageShape.layers })
  .map((p) => new ConcurrentTagMove(p));
