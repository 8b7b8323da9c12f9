/**
 * The embedded schema registry: Confluent's model kept in SQLite tables (prefixed `registry_`)
 * inside the embedded log's database file, through its own connection. WAL mode and a busy
 * timeout let several processes (ingest, process, sink, `pma registry serve`) share it; every
 * registration runs in one IMMEDIATE transaction, so two processes registering at once get
 * consistent ids and versions.
 *
 * Errors carry Confluent's error code in their `errorCode` field (40401 subject not found, 40402
 * version not found, 40403 schema not found, 40405/40407 not soft-deleted first, 42201 invalid
 * schema, 42202 invalid version, 42208 invalid subject, 409 incompatible), which the REST server
 * answers with.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { describeFullDisk, fullDiskAt, PmaError, RegistryError, SchemaCompatibilityError, SchemaNotFoundError, SchemaValidationError } from '../runtime/errors.ts';
import { cachedStatement, inTransaction, NEW_FILE_PRAGMAS, sqliteFullDisk } from '../runtime/sqlite.ts';
import { type ParsedSchema, parseSchema } from './avro-schema.ts';
import { checkCompatibility } from './compatibility.ts';
import { type CompatibilityLevel, type CompatibilityResult, DEFAULT_COMPATIBILITY, isCompatibilityLevel, type SchemaRegistry, type SubjectVersion } from './types.ts';

export interface EmbeddedRegistryOptions {
  /** The SQLite file (the embedded log's: `embeddedLogPath(dataDir)`). Created if missing. */
  path: string;
  /** How long to wait for another process's write lock. Default 10 s. */
  busyTimeoutMs?: number;
}

/** Subject names: what Confluent accepts in practice, minus control characters. */
const MAX_SUBJECT_LENGTH = 255;
const GLOBAL_SCOPE = '';

const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS registry_schemas (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  canonical TEXT NOT NULL UNIQUE,
  schema TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS registry_versions (
  subject TEXT NOT NULL,
  version INTEGER NOT NULL,
  schema_id INTEGER NOT NULL REFERENCES registry_schemas(id),
  deleted INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (subject, version)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS registry_versions_by_schema ON registry_versions (schema_id);
CREATE TABLE IF NOT EXISTS registry_config (
  scope TEXT PRIMARY KEY,
  compatibility TEXT NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
`;

interface VersionRow {
  version: number;
  schema_id: number;
  schema: string;
  deleted: number;
}

export class EmbeddedRegistry implements SchemaRegistry {
  readonly #db: DatabaseSync;
  /** The SQLite file, named in every error. */
  readonly #path: string;
  readonly #statements = new Map<string, StatementSync>();
  /** Schema ids never change content, so their text and parsed form are cached for good. */
  readonly #byId = new Map<number, string>();
  readonly #parsed = new Map<string, ParsedSchema>();
  #closed = false;

  constructor(options: EmbeddedRegistryOptions) {
    this.#path = options.path;
    try {
      mkdirSync(dirname(options.path), { recursive: true });
      this.#db = new DatabaseSync(options.path, { timeout: options.busyTimeoutMs ?? 10_000 });
    } catch (err) {
      throw asRegistryError(err, options.path, `cannot open the embedded registry at ${options.path}`);
    }
    try {
      this.#db.exec(NEW_FILE_PRAGMAS);
      this.#db.exec('PRAGMA journal_mode = WAL');
      this.#db.exec('PRAGMA synchronous = FULL');
      this.#db.exec('PRAGMA foreign_keys = ON');
      this.#db.exec(SCHEMA_SQL);
    } catch (err) {
      this.#db.close();
      throw asRegistryError(err, options.path, `cannot open the embedded registry at ${options.path}`);
    }
  }

  async register(subject: string, schema: string): Promise<number> {
    checkSubject(subject);
    const candidate = parseSchema(schema);
    return this.#write(() => {
      const existing = this.#get<{ id: number }>('SELECT id FROM registry_schemas WHERE canonical = ?', candidate.canonical);
      if (existing) {
        const live = this.#get('SELECT 1 AS x FROM registry_versions WHERE subject = ? AND schema_id = ? AND deleted = 0', subject, existing.id);
        if (live) return existing.id;
      }
      const prior = this.#liveVersions(subject).map((row) => ({ version: row.version, schema: this.#parse(row.schema) }));
      const level = this.#levelOf(subject);
      const problems = checkCompatibility(candidate, prior, level);
      if (problems.length > 0) {
        throw new SchemaCompatibilityError(`schema for subject ${subject} refused: ${problems.join('; ')}`, { subject, compatibility: level, messages: problems }, { errorCode: 409 });
      }
      const now = Date.now();
      const id = existing?.id ?? Number(this.#run('INSERT INTO registry_schemas (canonical, schema, created_at) VALUES (?, ?, ?)', candidate.canonical, candidate.text, now).lastInsertRowid);
      const max = this.#get<{ v: number | null }>('SELECT MAX(version) AS v FROM registry_versions WHERE subject = ?', subject);
      this.#run('INSERT INTO registry_versions (subject, version, schema_id, deleted, created_at) VALUES (?, ?, ?, 0, ?)', subject, (max?.v ?? 0) + 1, id, now);
      return id;
    });
  }

  async getSchemaById(id: number): Promise<string> {
    const hit = this.#byId.get(id);
    if (hit !== undefined) return hit;
    const row = Number.isSafeInteger(id) ? this.#get<{ schema: string }>('SELECT schema FROM registry_schemas WHERE id = ?', id) : undefined;
    if (!row) throw new SchemaNotFoundError(`schema id ${id} not found`, { schemaId: id }, { errorCode: 40403 });
    this.#byId.set(id, row.schema);
    return row.schema;
  }

  async getVersionsById(id: number): Promise<Array<{ subject: string; version: number }>> {
    await this.getSchemaById(id);
    return this.#all<{ subject: string; version: number }>('SELECT subject, version FROM registry_versions WHERE schema_id = ? AND deleted = 0 ORDER BY subject, version', id);
  }

  async getLatest(subject: string): Promise<SubjectVersion> {
    const rows = this.#liveVersions(subject);
    const last = rows.at(-1);
    if (!last) throw subjectNotFound(subject);
    return { subject, version: last.version, id: last.schema_id, schema: last.schema };
  }

  async getVersion(subject: string, version: number): Promise<SubjectVersion> {
    checkVersion(version);
    const rows = this.#liveVersions(subject);
    if (rows.length === 0) throw subjectNotFound(subject);
    const row = rows.find((r) => r.version === version);
    if (!row) throw versionNotFound(subject, version);
    return { subject, version, id: row.schema_id, schema: row.schema };
  }

  async listSubjects(): Promise<string[]> {
    return this.#all<{ subject: string }>('SELECT DISTINCT subject FROM registry_versions WHERE deleted = 0 ORDER BY subject').map((r) => r.subject);
  }

  async listVersions(subject: string): Promise<number[]> {
    const rows = this.#liveVersions(subject);
    if (rows.length === 0) throw subjectNotFound(subject);
    return rows.map((r) => r.version);
  }

  async lookup(subject: string, schema: string): Promise<SubjectVersion> {
    const candidate = parseSchema(schema);
    const rows = this.#liveVersions(subject);
    if (rows.length === 0) throw subjectNotFound(subject);
    const row = rows.find((r) => this.#parse(r.schema).canonical === candidate.canonical);
    if (!row) throw new SchemaNotFoundError(`schema not found under subject ${subject}`, { subject }, { errorCode: 40403 });
    return { subject, version: row.version, id: row.schema_id, schema: row.schema };
  }

  async checkCompatibility(subject: string, schema: string, version?: number | 'latest'): Promise<CompatibilityResult> {
    const candidate = parseSchema(schema);
    const rows = this.#liveVersions(subject);
    const level = this.#levelOf(subject);
    let against = rows;
    if (version !== undefined) {
      if (version === 'latest') {
        against = rows.slice(-1);
      } else {
        checkVersion(version);
        if (rows.length === 0) throw subjectNotFound(subject);
        against = rows.filter((r) => r.version === version);
        if (against.length === 0) throw versionNotFound(subject, version);
      }
    }
    const prior = against.map((row) => ({ version: row.version, schema: this.#parse(row.schema) }));
    // One named version is checked on its own, even under a transitive level.
    const messages = checkCompatibility(candidate, prior, version === undefined ? level : (level.replace('_TRANSITIVE', '') as CompatibilityLevel));
    return { compatible: messages.length === 0, messages };
  }

  async getGlobalCompatibility(): Promise<CompatibilityLevel> {
    return this.#storedLevel(GLOBAL_SCOPE) ?? DEFAULT_COMPATIBILITY;
  }

  async setGlobalCompatibility(level: CompatibilityLevel): Promise<void> {
    this.#setLevel(GLOBAL_SCOPE, level);
  }

  async getSubjectCompatibility(subject: string): Promise<CompatibilityLevel | undefined> {
    checkSubject(subject);
    return this.#storedLevel(subject);
  }

  async setSubjectCompatibility(subject: string, level: CompatibilityLevel): Promise<void> {
    checkSubject(subject);
    this.#setLevel(subject, level);
  }

  async deleteSubjectCompatibility(subject: string): Promise<CompatibilityLevel | undefined> {
    checkSubject(subject);
    return this.#write(() => {
      const old = this.#storedLevel(subject);
      this.#run('DELETE FROM registry_config WHERE scope = ?', subject);
      return old;
    });
  }

  async effectiveCompatibility(subject: string): Promise<CompatibilityLevel> {
    return this.#levelOf(subject);
  }

  async deleteSubject(subject: string, options: { permanent?: boolean } = {}): Promise<number[]> {
    return this.#write(() => {
      const rows = this.#all<VersionRow>('SELECT version, schema_id, deleted FROM registry_versions WHERE subject = ? ORDER BY version', subject);
      if (rows.length === 0) throw subjectNotFound(subject);
      if (options.permanent) {
        if (rows.some((r) => r.deleted === 0)) {
          throw new SchemaNotFoundError(`subject ${subject} must be soft-deleted before it is deleted permanently`, { subject }, { errorCode: 40405 });
        }
        this.#run('DELETE FROM registry_versions WHERE subject = ?', subject);
        this.#run('DELETE FROM registry_config WHERE scope = ?', subject);
        return rows.map((r) => r.version);
      }
      const live = rows.filter((r) => r.deleted === 0);
      if (live.length === 0) throw new SchemaNotFoundError(`subject ${subject} was soft-deleted already`, { subject }, { errorCode: 40404 });
      this.#run('UPDATE registry_versions SET deleted = 1 WHERE subject = ?', subject);
      return live.map((r) => r.version);
    });
  }

  async deleteVersion(subject: string, version: number | 'latest', options: { permanent?: boolean } = {}): Promise<number> {
    if (version !== 'latest') checkVersion(version);
    return this.#write(() => {
      const rows = this.#all<VersionRow>('SELECT version, schema_id, deleted FROM registry_versions WHERE subject = ? ORDER BY version', subject);
      if (rows.length === 0) throw subjectNotFound(subject);
      const row = version === 'latest' ? rows.filter((r) => r.deleted === 0).at(-1) : rows.find((r) => r.version === version);
      if (!row) throw versionNotFound(subject, version);
      if (options.permanent) {
        if (row.deleted === 0) {
          throw new SchemaNotFoundError(`version ${row.version} of ${subject} must be soft-deleted before it is deleted permanently`, { subject, version: row.version }, { errorCode: 40407 });
        }
        this.#run('DELETE FROM registry_versions WHERE subject = ? AND version = ?', subject, row.version);
        return row.version;
      }
      if (row.deleted !== 0) throw versionNotFound(subject, row.version);
      this.#run('UPDATE registry_versions SET deleted = 1 WHERE subject = ? AND version = ?', subject, row.version);
      return row.version;
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#statements.clear();
    this.#db.close();
  }

  #liveVersions(subject: string): Array<VersionRow & { schema: string }> {
    return this.#all<VersionRow & { schema: string }>(
      `SELECT v.version, v.schema_id, v.deleted, s.schema FROM registry_versions v JOIN registry_schemas s ON s.id = v.schema_id
       WHERE v.subject = ? AND v.deleted = 0 ORDER BY v.version`,
      subject,
    );
  }

  #levelOf(subject: string): CompatibilityLevel {
    return this.#storedLevel(subject) ?? this.#storedLevel(GLOBAL_SCOPE) ?? DEFAULT_COMPATIBILITY;
  }

  #storedLevel(scope: string): CompatibilityLevel | undefined {
    const row = this.#get<{ compatibility: string }>('SELECT compatibility FROM registry_config WHERE scope = ?', scope);
    if (!row) return undefined;
    if (!isCompatibilityLevel(row.compatibility)) {
      throw new RegistryError(`stored compatibility level "${row.compatibility}" is not a level`, { subject: scope || undefined });
    }
    return row.compatibility;
  }

  #setLevel(scope: string, level: CompatibilityLevel): void {
    if (!isCompatibilityLevel(level)) {
      throw new SchemaValidationError(`"${String(level)}" is not a compatibility level`, { value: level }, { errorCode: 42203 });
    }
    this.#write(() =>
      this.#run(
        'INSERT INTO registry_config (scope, compatibility, updated_at) VALUES (?, ?, ?) ON CONFLICT (scope) DO UPDATE SET compatibility = excluded.compatibility, updated_at = excluded.updated_at',
        scope,
        level,
        Date.now(),
      ),
    );
  }

  #parse(text: string): ParsedSchema {
    let hit = this.#parsed.get(text);
    if (!hit) {
      hit = parseSchema(text);
      this.#parsed.set(text, hit);
    }
    return hit;
  }

  /** Runs `fn` in an IMMEDIATE transaction: the write lock is taken up front, so no upgrade can fail. */
  #write<T>(fn: () => T): T {
    this.#ensureOpen();
    return inTransaction(this.#db, 'BEGIN IMMEDIATE', fn, (err) => asRegistryError(err, this.#path));
  }

  #statement(sql: string): StatementSync {
    this.#ensureOpen();
    return cachedStatement(this.#db, this.#statements, sql);
  }

  #get<T = Record<string, unknown>>(sql: string, ...params: Array<string | number>): T | undefined {
    try {
      return this.#statement(sql).get(...params) as T | undefined;
    } catch (err) {
      throw asRegistryError(err, this.#path);
    }
  }

  #all<T>(sql: string, ...params: Array<string | number>): T[] {
    try {
      return this.#statement(sql).all(...params) as T[];
    } catch (err) {
      throw asRegistryError(err, this.#path);
    }
  }

  #run(sql: string, ...params: Array<string | number>) {
    try {
      return this.#statement(sql).run(...params);
    } catch (err) {
      throw asRegistryError(err, this.#path);
    }
  }

  #ensureOpen(): void {
    if (this.#closed) throw new RegistryError('the embedded registry is closed');
  }
}

/** Refuses subject names Confluent would refuse (empty, too long, control characters). */
export function checkSubject(subject: string): void {
  if (typeof subject !== 'string' || subject.length === 0 || subject.length > MAX_SUBJECT_LENGTH || /[\u0000-\u001f\u007f]/.test(subject)) {
    throw new SchemaValidationError(`invalid subject name ${JSON.stringify(subject)}: 1 to ${MAX_SUBJECT_LENGTH} characters, no control characters`, { subject }, { errorCode: 42208 });
  }
}

function checkVersion(version: number): void {
  if (!Number.isInteger(version) || version < 1 || version > 2 ** 31 - 1) {
    throw new SchemaValidationError(`version ${version} is not a valid version: an integer from 1 to 2^31-1, or "latest"`, { version }, { errorCode: 42202 });
  }
}

/**
 * Keeps our own errors; wraps SQLite failures (busy past the timeout, disk full, ...) and file
 * system ones as RegistryError, naming the full disk when that is what made a write fail.
 */
function asRegistryError(err: unknown, path: string, doing = 'embedded registry'): PmaError {
  if (err instanceof PmaError) return err;
  const full = (err as { code?: unknown })?.code === 'ENOSPC' ? fullDiskAt(path) : sqliteFullDisk(err, path);
  const disk = full ? { diskFull: true, freeBytes: full.freeBytes } : {};
  return new RegistryError(
    `${doing}${full ? `: ${describeFullDisk(full)}` : ''}: ${(err as Error)?.message ?? String(err)}`,
    { path, sqliteCode: (err as { errcode?: number }).errcode, ...disk },
    { cause: err },
  );
}

function subjectNotFound(subject: string): SchemaNotFoundError {
  return new SchemaNotFoundError(`subject ${subject} not found`, { subject }, { errorCode: 40401 });
}

function versionNotFound(subject: string, version: number | string): SchemaNotFoundError {
  return new SchemaNotFoundError(`version ${version} of subject ${subject} not found`, { subject, version }, { errorCode: 40402 });
}
