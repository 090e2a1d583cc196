/**
 * Media types of the OCI image spec and the Docker schema2 types that registries still serve
 * (distribution-spec "Pulling manifests", image-spec media-types.md). Data only.
 */

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER_TAR_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';

export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
export const DOCKER_LAYER = 'application/vnd.docker.image.rootfs.diff.tar.gzip';

/** Manifest types whose body lists `config` and `layers`. */
export const IMAGE_MANIFEST_TYPES: readonly string[] = [OCI_MANIFEST, DOCKER_MANIFEST];
/** Manifest types whose body lists child manifests in `manifests`. */
export const INDEX_MANIFEST_TYPES: readonly string[] = [OCI_INDEX, DOCKER_MANIFEST_LIST];
/** Every manifest type a complete registry accepts on PUT. */
export const MANIFEST_TYPES: readonly string[] = [...IMAGE_MANIFEST_TYPES, ...INDEX_MANIFEST_TYPES];

/** Annotation that names a tag in an OCI image layout's index.json (image-spec image-layout.md). */
export const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';
/** Layout version written to `oci-layout` (image-spec image-layout.md). */
export const IMAGE_LAYOUT_VERSION = '1.0.0';

/** Largest manifest the reference registry accepts; spec: "at least 4 megabytes". */
export const MANIFEST_MAX_BYTES = 4 * 1024 * 1024;
