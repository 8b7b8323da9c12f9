import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { ConfigError, SinkError } from '../../runtime/errors.ts';
import { parseFaultFlag } from '../../simulator/http/faults.ts';
import { compileColumns } from '../../sinks/bronze/arrow/record-columns.ts';
import { compileInspector } from '../../sinks/bronze/inspect.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SOURCE_DIRS = ['cli', 'runtime', 'transport', 'registry', 'schemas', 'producers', 'processors', 'sinks', 'gold', 'simulator', 'tagger', 'bench'];

function* sources(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (entry.name.endsWith('.ts')) yield path;
  }
}

describe('runtime/errors: only catalogue errors are thrown', () => {
  it('finds no bare `throw new Error(` in the source folders', () => {
    const bare = SOURCE_DIRS.flatMap((d) => [...sources(join(ROOT, d))]).flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, i) => (line.includes('throw new Error(') ? [`${relative(ROOT, file)}:${i + 1}`] : [])),
    );
    expect(bare).to.deep.equal([]);
  });

  it('raises a schema Bronze cannot map, or a bad --fault option, as its catalogue class', () => {
    const schema = (type: unknown) => ({
      type: 'record',
      name: 'R',
      fields: [
        { name: 'ts', type: 'long' },
        { name: 'f', type },
      ],
    });
    expect(() => compileColumns(schema('fixed'))).to.throw(SinkError, /no Parquet column mapping/);
    expect(() => compileColumns(schema(['int', 'string']))).to.throw(SinkError, /unions map/);
    expect(() => compileInspector(schema('long'), 'missing')).to.throw(SinkError, /has no field missing/);
    expect(() => parseFaultFlag('error:0.1:oops')).to.throw(ConfigError, /not key=value/);
  });
});
