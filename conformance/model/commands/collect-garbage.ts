/**
 * CollectGarbage: make the registry collect garbage (--gc-command, or the reference registry's
 * built-in trigger) and check what it kept and what it reclaimed (collect.ts). `advanced` asks
 * for a collection as if the grace period had passed — only triggers that can do that offer it;
 * otherwise every collection is on the real clock, where everything this run pushed is young.
 */
import fc from 'fast-check';
import { advanceFor, collectAndCheck } from '../collect.ts';
import type { Model } from '../model.ts';
import type { World } from '../world.ts';
import { Step } from './step.ts';

export class CollectGarbage extends Step {
  readonly advanced: boolean;

  constructor(advanced: boolean) {
    super();
    this.advanced = advanced;
  }

  protected async act(model: Model, world: World, label: string): Promise<void> {
    const advance = this.advanced && world.config.gc.trigger?.canAdvance ? advanceFor(world.config.gc) : 0;
    await collectAndCheck(model, world, label, advance);
  }

  toString(): string {
    return this.advanced ? 'CollectGarbage(past the grace period)' : 'CollectGarbage(now)';
  }
}

/** Mostly past the grace period: that is when a collection can do damage. */
export const collectGarbageCommand: fc.Arbitrary<CollectGarbage> = fc
  .oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) })
  .map((advanced) => new CollectGarbage(advanced));
