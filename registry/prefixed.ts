/**
 * The registry as one pipeline on a shared Kafka cluster sees it: its subjects carry the
 * pipeline's topic prefix in the registry, as TopicNameStrategy names them after the wire topic
 * (`<prefix><topic>-value`), so pipelines sharing a registry never register into, or check
 * compatibility against, each other's subjects. Callers keep using logical subjects; subjects of
 * other prefixes are not listed. Schema ids are global, as in any registry.
 */
import type { CompatibilityLevel, CompatibilityResult, SchemaRegistry, SubjectVersion } from './types.ts';

export class PrefixedRegistry implements SchemaRegistry {
  readonly #inner: SchemaRegistry;
  readonly #prefix: string;

  constructor(inner: SchemaRegistry, prefix: string) {
    this.#inner = inner;
    this.#prefix = prefix;
  }

  #wire(subject: string): string {
    return `${this.#prefix}${subject}`;
  }

  #logical(subject: string): string | undefined {
    return subject.startsWith(this.#prefix) ? subject.slice(this.#prefix.length) : undefined;
  }

  #version(v: SubjectVersion): SubjectVersion {
    return { ...v, subject: this.#logical(v.subject) ?? v.subject };
  }

  register(subject: string, schema: string): Promise<number> {
    return this.#inner.register(this.#wire(subject), schema);
  }

  getSchemaById(id: number): Promise<string> {
    return this.#inner.getSchemaById(id);
  }

  async getVersionsById(id: number): Promise<Array<{ subject: string; version: number }>> {
    return (await this.#inner.getVersionsById(id)).flatMap((v) => {
      const subject = this.#logical(v.subject);
      return subject === undefined ? [] : [{ ...v, subject }];
    });
  }

  async getLatest(subject: string): Promise<SubjectVersion> {
    return this.#version(await this.#inner.getLatest(this.#wire(subject)));
  }

  async getVersion(subject: string, version: number): Promise<SubjectVersion> {
    return this.#version(await this.#inner.getVersion(this.#wire(subject), version));
  }

  async listSubjects(): Promise<string[]> {
    return (await this.#inner.listSubjects()).flatMap((s) => this.#logical(s) ?? []);
  }

  listVersions(subject: string): Promise<number[]> {
    return this.#inner.listVersions(this.#wire(subject));
  }

  async lookup(subject: string, schema: string): Promise<SubjectVersion> {
    return this.#version(await this.#inner.lookup(this.#wire(subject), schema));
  }

  checkCompatibility(subject: string, schema: string, version?: number | 'latest'): Promise<CompatibilityResult> {
    return this.#inner.checkCompatibility(this.#wire(subject), schema, version);
  }

  getGlobalCompatibility(): Promise<CompatibilityLevel> {
    return this.#inner.getGlobalCompatibility();
  }

  setGlobalCompatibility(level: CompatibilityLevel): Promise<void> {
    return this.#inner.setGlobalCompatibility(level);
  }

  getSubjectCompatibility(subject: string): Promise<CompatibilityLevel | undefined> {
    return this.#inner.getSubjectCompatibility(this.#wire(subject));
  }

  setSubjectCompatibility(subject: string, level: CompatibilityLevel): Promise<void> {
    return this.#inner.setSubjectCompatibility(this.#wire(subject), level);
  }

  deleteSubjectCompatibility(subject: string): Promise<CompatibilityLevel | undefined> {
    return this.#inner.deleteSubjectCompatibility(this.#wire(subject));
  }

  effectiveCompatibility(subject: string): Promise<CompatibilityLevel> {
    return this.#inner.effectiveCompatibility(this.#wire(subject));
  }

  deleteSubject(subject: string, options?: { permanent?: boolean }): Promise<number[]> {
    return this.#inner.deleteSubject(this.#wire(subject), options);
  }

  deleteVersion(subject: string, version: number | 'latest', options?: { permanent?: boolean }): Promise<number> {
    return this.#inner.deleteVersion(this.#wire(subject), version, options);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
