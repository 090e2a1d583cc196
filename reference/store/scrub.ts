/**
 * Scrub: verifies a store offline. For every repository: oci-layout and index.json parse, every
 * blob's content matches its digest, every manifest index.json lists is present with its size,
 * and every blob or child a stored manifest references is present. Reports each damaged item
 * (zot's early Scrub was a stub: docs/deviations.md#zots-early-storage-code).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IMAGE_LAYOUT_VERSION } from '../../spec/media-types.ts';
import { digestFile, parseDigest } from './digest.ts';
import { parseIndex, type ImageIndex, type Layout } from './layout.ts';
import type { BlobStore } from './blobs.ts';
import type { ManifestStore } from './manifests.ts';
import { isNonDistributable } from './manifest-format.ts';

export interface ScrubProblem {
  readonly repository: string;
  readonly item: string;
  readonly problem: string;
}

export interface ScrubReport {
  repositories: number;
  blobs: number;
  manifests: number;
  problems: ScrubProblem[];
}

export async function scrub(layout: Layout, blobs: BlobStore, manifests: ManifestStore): Promise<ScrubReport> {
  const report: ScrubReport = { repositories: 0, blobs: 0, manifests: 0, problems: [] };
  for (const repository of await layout.listRepositories()) {
    report.repositories += 1;
    const problem = (item: string, what: string): void => {
      report.problems.push({ repository, item, problem: what });
    };
    const dir = layout.repoDir(repository);
    try {
      const layoutFile = JSON.parse(await readFile(join(dir, 'oci-layout'), 'utf8')) as { imageLayoutVersion?: unknown };
      if (layoutFile.imageLayoutVersion !== IMAGE_LAYOUT_VERSION) problem('oci-layout', `imageLayoutVersion is not ${IMAGE_LAYOUT_VERSION}`);
    } catch (error) {
      problem('oci-layout', `unreadable: ${(error as Error).message}`);
    }

    const sizes = new Map<string, number>();
    for (const blob of await blobs.list(repository)) {
      report.blobs += 1;
      sizes.set(blob.digest, blob.size);
      try {
        const parsed = parseDigest(blob.digest);
        const actual = await digestFile(blob.path, parsed.algorithm);
        if (actual !== blob.digest) problem(blob.digest, `content has digest ${actual}`);
      } catch (error) {
        problem(blob.digest, `not a valid blob: ${(error as Error).message}`);
      }
    }

    let index: ImageIndex;
    try {
      index = parseIndex(await readFile(join(dir, 'index.json'), 'utf8'));
    } catch (error) {
      problem('index.json', `damaged: ${(error as Error).message}`);
      continue;
    }
    const listed = new Set(index.manifests.map((m) => m.digest));
    for (const entry of index.manifests) {
      report.manifests += 1;
      const size = sizes.get(entry.digest);
      if (size === undefined) {
        problem(entry.digest, 'listed in index.json but its blob is missing');
        continue;
      }
      if (size !== entry.size) problem(entry.digest, `index.json says ${entry.size} bytes, the blob has ${size}`);
      const summary = await manifests.summary(repository, entry.digest, entry.mediaType);
      if (!summary) {
        problem(entry.digest, 'listed in index.json but is not a valid manifest');
        continue;
      }
      for (const blob of summary.blobs) {
        if (!isNonDistributable(blob) && !sizes.has(blob.digest)) problem(entry.digest, `references missing blob ${blob.digest}`);
      }
      for (const child of summary.manifests) {
        if (!listed.has(child.digest)) problem(entry.digest, `references missing manifest ${child.digest}`);
      }
    }
  }
  return report;
}
