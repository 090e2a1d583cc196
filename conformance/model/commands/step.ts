/**
 * The base of every command (fast-check's model-based testing: one command per file, a model
 * simpler than the system, positions resolved in run()). A step acts on the registry, updates
 * the model, then probes the whole execution against the model, so a divergence is caught at the
 * step that caused it. Its string form is what a shrunk counterexample prints.
 */
import type fc from 'fast-check';
import type { Model } from '../model.ts';
import { probe } from '../probe.ts';
import type { World } from '../world.ts';

export abstract class Step implements fc.AsyncCommand<Model, World, false> {
  /** Whether the step can run on this model (e.g. there is a manifest to delete). */
  check(_model: Readonly<Model>): boolean {
    return true;
  }

  async run(model: Model, world: World): Promise<void> {
    model.step += 1;
    model.trace.push(this.toString());
    const label = `step ${model.step} ${this.toString()}`;
    await this.act(model, world, label);
    await probe(world, model, label);
  }

  /** Talks to the registry and updates the model; `label` prefixes failure messages. */
  protected abstract act(model: Model, world: World, label: string): Promise<void>;

  abstract toString(): string;
}

/** JSON for command arguments in toString: short and unambiguous. */
export function show(value: unknown): string {
  return JSON.stringify(value) ?? 'undefined';
}
