/**
 * The schema registry interface, Confluent Schema Registry's model: subjects hold numbered
 * versions; each version points at a schema with a global id; the same schema text under two
 * subjects has one id. Implemented by the embedded registry (SQLite, beside the embedded log)
 * and by the HTTP client of any Confluent-compatible registry. Only Avro schemas are handled.
 *
 * Failures are typed: SchemaNotFoundError (no such subject, version or id), SchemaCompatibilityError
 * (refused by the subject's compatibility level; the message names the field and why),
 * SchemaValidationError (not a valid Avro schema), RegistryError (transport or server trouble).
 */

export const COMPATIBILITY_LEVELS = ['NONE', 'BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE'] as const;
export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];

/** The level a registry starts with, as Confluent's does. */
export const DEFAULT_COMPATIBILITY: CompatibilityLevel = 'BACKWARD';

/** One version of a subject. */
export interface SubjectVersion {
  subject: string;
  version: number;
  /** Global schema id. */
  id: number;
  /** The schema text as the registry stores it (compact JSON). */
  schema: string;
}

export interface CompatibilityResult {
  compatible: boolean;
  /** Why not, one line per problem (each names the field); empty when compatible. */
  messages: string[];
}

export interface SchemaRegistry {
  /**
   * Registers `schema` under `subject` and returns its global id. Idempotent: a schema already
   * registered under the subject returns its id without a new version. Otherwise the schema is
   * checked against the subject's compatibility level first (SchemaCompatibilityError if refused).
   */
  register(subject: string, schema: string): Promise<number>;
  /** The schema text of a global id. */
  getSchemaById(id: number): Promise<string>;
  /** The subjects and versions that use a global id. */
  getVersionsById(id: number): Promise<Array<{ subject: string; version: number }>>;
  getLatest(subject: string): Promise<SubjectVersion>;
  getVersion(subject: string, version: number): Promise<SubjectVersion>;
  /** Subjects with at least one live version, sorted. */
  listSubjects(): Promise<string[]>;
  /** Live versions of a subject, ascending. */
  listVersions(subject: string): Promise<number[]>;
  /** The version of `subject` that holds `schema`; SchemaNotFoundError if none does. */
  lookup(subject: string, schema: string): Promise<SubjectVersion>;
  /**
   * Checks `schema` against the subject's level (as `register` would) or, with `version`, against
   * that one version only. A subject without versions accepts anything.
   */
  checkCompatibility(subject: string, schema: string, version?: number | 'latest'): Promise<CompatibilityResult>;
  /** The global compatibility level. */
  getGlobalCompatibility(): Promise<CompatibilityLevel>;
  setGlobalCompatibility(level: CompatibilityLevel): Promise<void>;
  /** The subject's own level, or undefined when it has none (the global level applies). */
  getSubjectCompatibility(subject: string): Promise<CompatibilityLevel | undefined>;
  setSubjectCompatibility(subject: string, level: CompatibilityLevel): Promise<void>;
  /** Removes the subject's own level; returns the level it had. */
  deleteSubjectCompatibility(subject: string): Promise<CompatibilityLevel | undefined>;
  /** The level that applies to a subject: its own, else the global one. */
  effectiveCompatibility(subject: string): Promise<CompatibilityLevel>;
  /**
   * Deletes a subject's versions (soft: ids stay readable and the versions can be listed as
   * deleted; `permanent` after a soft delete removes them). Returns the versions deleted.
   */
  deleteSubject(subject: string, options?: { permanent?: boolean }): Promise<number[]>;
  /** Deletes one version (soft, or permanent after soft). Returns the version deleted. */
  deleteVersion(subject: string, version: number | 'latest', options?: { permanent?: boolean }): Promise<number>;
  close(): Promise<void>;
}

export function isCompatibilityLevel(value: unknown): value is CompatibilityLevel {
  return typeof value === 'string' && (COMPATIBILITY_LEVELS as readonly string[]).includes(value);
}
