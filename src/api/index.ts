// The gastown.gastown.io/v1alpha1 API: constants, zod schemas, inferred types, decoders and the
// CRD generator. Import from here rather than from the individual modules.
export * from './constants.ts';
export * from './formats.ts';
export * from './common.ts';
export * from './kind.ts';
export * from './rig.ts';
export * from './polecat.ts';
export * from './convoy.ts';
export * from './structural.ts';
export * from './crd.ts';
export * from './kinds.ts';
export * from './execution.ts';
