// The string formats of Gas Town identifiers, as the API validates them.
//
// Every pattern here ends up twice: in a zod schema (validation in the operator) and, through
// the CRD generator, in the OpenAPI schema the API server enforces. The API server evaluates
// patterns with Go's RE2, so each one sticks to the syntax RE2 and ECMAScript share: no
// lookaround, no back-references, explicitly anchored.
//
// Sources (the gt/bd contract notes, docs/gt-contract.md, and the gt and beads sources):
// - bead IDs are `<prefix>-<hash>` with hierarchical children `<id>.<n>`. The contract's
//   examples use a 5-character hash, but beads grows the hash adaptively with the size of the
//   database (3 to 8 base36 characters), so any length in that range is a real bead ID.
// - beads prefixes follow gt's own `beadsPrefixRegexp`: a letter, then letters, digits and
//   hyphens, at most 20 characters.
// - rig names are refused by `gt rig add` when they contain hyphens, dots or spaces (hyphens
//   delimit agent IDs); underscores are allowed. The API accepts letters, digits and underscores.
// - convoy IDs are `hq-cv-` and five base36 characters.
// Every identifier starts with a letter, digit or underscore, never `-`, so none of them can be
// mistaken for a flag when it is passed to gt as an argument.
import { z } from 'zod';

/** A beads issue prefix, as gt validates it (`gt rig add --prefix`). */
export const BEADS_PREFIX_PATTERN = /^[a-zA-Z][a-zA-Z0-9-]{0,19}$/;

/** A bead ID: `<prefix>-<3..8 base36>` optionally followed by child numbers (`gt-abc12.1.2`). */
export const BEAD_ID_PATTERN = /^[a-zA-Z][a-zA-Z0-9-]{0,19}-[0-9a-z]{3,8}(\.[0-9]+)*$/;

/** A gt rig name: what `gt rig list` prints and `gt sling <bead> <rig>` takes. */
export const RIG_NAME_PATTERN = /^[A-Za-z0-9_]+$/;

/** A convoy ID as `gt convoy create` prints it. */
export const CONVOY_ID_PATTERN = /^hq-cv-[0-9a-z]{5}$/;

/** A gt mail address: `mayor/`, `overseer`, `<rig>/witness`, `<rig>/polecats/<name>`. */
export const MAIL_ADDRESS_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_./@-]*$/;

/**
 * An absolute path without `..` segments and without control characters (NUL included).
 *
 * Without lookahead, "not `..`" is spelled out per segment: a segment is empty, `.`, starts with
 * a character other than `.`, is `.` followed by a character other than `.`, or is `..` followed
 * by at least one more character (`...` and `..foo` are ordinary names, not traversal).
 */
const SEGMENT = String.raw`(?:[^/.\x00-\x1f\x7f][^/\x00-\x1f\x7f]*|\.[^/.\x00-\x1f\x7f][^/\x00-\x1f\x7f]*|\.\.[^/\x00-\x1f\x7f]+|\.?)`;
export const LOCAL_PATH_PATTERN = new RegExp(String.raw`^(?:/${SEGMENT})+$`);

/** Length limits: generous for real values, small enough to bound an object's size. */
export const MAX_PATH_LENGTH = 4096;
export const MAX_BEAD_ID_LENGTH = 64;
export const MAX_RIG_NAME_LENGTH = 64;
export const MAX_MAIL_ADDRESS_LENGTH = 256;
export const MAX_URL_LENGTH = 2048;

export const beadIdSchema = z
  .string()
  .max(MAX_BEAD_ID_LENGTH)
  .regex(BEAD_ID_PATTERN, { error: 'must be a bead ID: <prefix>-<3 to 8 base36 characters>, children as <id>.<n> (e.g. gt-abc12, gt-abc12.1)' });

export const beadsPrefixSchema = z
  .string()
  .regex(BEADS_PREFIX_PATTERN, { error: 'must be a beads prefix: a letter, then letters, digits or hyphens, at most 20 characters' });

export const rigNameSchema = z
  .string()
  .min(1)
  .max(MAX_RIG_NAME_LENGTH)
  .regex(RIG_NAME_PATTERN, { error: 'must be a gt rig name: letters, digits and underscores (gt reserves hyphens, dots and spaces)' });

export const localPathSchema = z
  .string()
  .max(MAX_PATH_LENGTH)
  .regex(LOCAL_PATH_PATTERN, { error: 'must be an absolute path without ".." segments or control characters' });

export const mailAddressSchema = z
  .string()
  .max(MAX_MAIL_ADDRESS_LENGTH)
  .regex(MAIL_ADDRESS_PATTERN, { error: 'must be a gt mail address such as mayor/, overseer or <rig>/witness' });

/** True when `id` is a bead ID in gt's format. */
export function isBeadId(id: string): boolean {
  return id.length <= MAX_BEAD_ID_LENGTH && BEAD_ID_PATTERN.test(id);
}

/** True when `id` is a convoy ID as gt prints it. */
export function isConvoyId(id: string): boolean {
  return CONVOY_ID_PATTERN.test(id);
}

/** True when `name` is a gt rig name. */
export function isRigName(name: string): boolean {
  return name.length <= MAX_RIG_NAME_LENGTH && RIG_NAME_PATTERN.test(name);
}
