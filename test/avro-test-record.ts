/** Avro records made up for tests, kept in the `polymarket.test` namespace so none can pass for a catalogue schema. */
export interface TestField {
  name: string;
  type: unknown;
  default?: unknown;
}

export function testRecordSchema(name: string, fields: TestField[]): { type: 'record'; name: string; namespace: string; fields: TestField[] } {
  return { type: 'record', name, namespace: 'polymarket.test', fields };
}
