/** The spec data shared by both halves: grammars, media types, error codes. */
export * from './grammars.ts';
export * from './media-types.ts';
export * from './error-codes.ts';
