/**
 * Registers every command and groups them into the properties the suite runs. Each property is
 * one result: a different mix of commands over the same model and probe, so that a registry's
 * deviation in one area (say, tag listing) does not hide its bugs in another (say, GC). A command
 * that needs something the registry was declared without (deletes, referrers, a GC trigger) is
 * left out of every mix, and a property that needs it is skipped with the reason.
 */
import type fc from 'fast-check';
import type { Capability, RunConfig } from '../../config.ts';
import type { Step } from './step.ts';
import { pushBlobCommand } from './push-blob.ts';
import { mountBlobCommand } from './mount-blob.ts';
import { cancelUploadCommand } from './cancel-upload.ts';
import { readRangeCommand } from './read-range.ts';
import { deleteBlobCommand } from './delete-blob.ts';
import { pushImageCommand } from './push-image.ts';
import { pushIndexCommand } from './push-index.ts';
import { pushArtifactCommand } from './push-artifact.ts';
import { retagCommand } from './retag.ts';
import { deleteTagCommand } from './delete-tag.ts';
import { deleteManifestCommand } from './delete-manifest.ts';
import { listTagsCommand } from './list-tags.ts';
import { listReferrersCommand } from './list-referrers.ts';
import { collectGarbageCommand } from './collect-garbage.ts';
import { uploadAcrossGcCommand } from './upload-across-gc.ts';
import { gcMidPushCommand } from './gc-mid-push.ts';
import { concurrentTagsCommand } from './concurrent-tags.ts';
import { concurrentTagMoveCommand } from './concurrent-tag-move.ts';
import { concurrentBlobsCommand } from './concurrent-blobs.ts';

type CommandArbitrary = fc.Arbitrary<Step>;

interface Entry {
  readonly command: CommandArbitrary;
  /** Capabilities the registry must have been declared with for the command to be generated. */
  readonly requires?: readonly Capability[];
  /** How many times it appears in the mix (fc.commands picks uniformly among the entries). */
  readonly weight?: number;
}

export interface PropertyDefinition {
  readonly id: string;
  readonly title: string;
  readonly spec: string;
  readonly requires: readonly Capability[];
  /** Needs a way to make the registry collect garbage (--gc-command, or the built-in trigger). */
  readonly needsGc: boolean;
  readonly entries: readonly Entry[];
}

const pushImage: Entry = { command: pushImageCommand, weight: 2 };
const deleteTag: Entry = { command: deleteTagCommand, requires: ['tagDeletes'] };
const deleteManifest: Entry = { command: deleteManifestCommand, requires: ['manifestDeletes'] };

export const PROPERTIES: readonly PropertyDefinition[] = [
  {
    id: 'property.blobs',
    title: 'Blobs: every upload flow, mounts, cancels, ranges and deletes keep each repository holding exactly what was pushed to it',
    spec: '§Pushing blobs (end-4a/4b, end-5, end-6, end-13, end-14), §Mounting a blob (end-11), §Pulling blobs (end-2), §Deleting Blobs (end-10)',
    requires: ['push', 'pull'],
    needsGc: false,
    entries: [
      { command: pushBlobCommand, weight: 3 },
      { command: mountBlobCommand },
      { command: cancelUploadCommand },
      { command: readRangeCommand },
      { command: deleteBlobCommand, requires: ['blobDeletes'] },
      { command: concurrentBlobsCommand },
    ],
  },
  {
    id: 'property.manifests',
    title: 'Manifests: images, nested indexes, artifacts, tag moves and deletes keep every manifest and tag exactly as the model says',
    spec: '§Pushing Manifests (end-7), §Pulling manifests (end-3), §Deleting tags and manifests (end-9)',
    requires: ['push', 'pull'],
    needsGc: false,
    entries: [pushImage, { command: pushIndexCommand }, { command: pushArtifactCommand }, { command: retagCommand }, deleteTag, deleteManifest],
  },
  {
    id: 'property.tags',
    title: 'Tags: the tag list, whole and page by page, is exactly the repository\'s tags in lexical order, through moves and deletes',
    spec: '§Listing Tags (end-8a, end-8b)',
    requires: ['push', 'contentDiscovery'],
    needsGc: false,
    entries: [pushImage, { command: retagCommand, weight: 2 }, deleteTag, deleteManifest, { command: listTagsCommand, weight: 3 }],
  },
  {
    id: 'property.referrers',
    title: 'Referrers: each subject lists exactly its referrers, with artifactType and annotations, filtered and paged as the registry says',
    spec: '§Listing Referrers (end-12a, end-12b), §Pushing Manifests with Subject',
    requires: ['push', 'referrers'],
    needsGc: false,
    entries: [pushImage, { command: pushIndexCommand }, { command: pushArtifactCommand, weight: 3 }, deleteManifest, { command: listReferrersCommand, weight: 3 }],
  },
  {
    id: 'property.concurrency',
    title: 'Concurrency: concurrent pushes to one repository lose no tag, no manifest and no blob',
    spec: '§Pushing Manifests (end-7), §Pushing blobs; spec "Use Cases: Layer Upload De-duplication"',
    requires: ['push', 'pull'],
    needsGc: false,
    entries: [{ command: concurrentTagsCommand, weight: 2 }, { command: concurrentTagMoveCommand, weight: 2 }, { command: concurrentBlobsCommand }, pushImage, deleteTag],
  },
  {
    id: 'property.gc',
    title: 'Garbage collection: nothing reachable or young ever disappears, and declared garbage is reclaimed',
    spec: 'docs/gc.md (GC is outside the spec: the safety and reclaim rules touchstone holds a registry to)',
    requires: ['push', 'pull'],
    needsGc: true,
    // What GC gets wrong needs a shape first: images sharing layers, indexes over untagged
    // children, referrers of tagged images, a manifest deleted — then a collection.
    entries: [
      { command: pushImageCommand, weight: 3 },
      { command: pushBlobCommand },
      { command: pushIndexCommand, weight: 3 },
      { command: pushArtifactCommand, weight: 3 },
      { command: retagCommand },
      deleteTag,
      { command: deleteManifestCommand, requires: ['manifestDeletes'], weight: 2 },
      { command: collectGarbageCommand, weight: 3 },
      { command: uploadAcrossGcCommand },
      { command: gcMidPushCommand },
    ],
  },
];

/** The command mix of a property for a registry declared with `config`'s capabilities. */
export function commandsFor(property: PropertyDefinition, config: RunConfig): CommandArbitrary[] {
  const mix: CommandArbitrary[] = [];
  for (const entry of property.entries) {
    if ((entry.requires ?? []).some((capability) => !config.capabilities[capability])) continue;
    for (let i = 0; i < (entry.weight ?? 1); i += 1) mix.push(entry.command);
  }
  return mix;
}
