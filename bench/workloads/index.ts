/** Every workload, in the order a run goes through them (writes first, then reads, then the mixed load). */
import { MANIFEST_GET, MANIFEST_HEAD, REFERRERS, TAGS_LIST } from './manifests.ts';
import { MOUNT } from './mount.ts';
import { MIXED, PULL } from './pull.ts';
import { PUSH_WORKLOADS } from './push.ts';
import type { Workload } from './types.ts';

export const WORKLOADS: readonly Workload[] = [...PUSH_WORKLOADS, PULL, MANIFEST_HEAD, MANIFEST_GET, TAGS_LIST, REFERRERS, MOUNT, MIXED];

export function workload(name: string): Workload | undefined {
  return WORKLOADS.find((w) => w.name === name);
}
