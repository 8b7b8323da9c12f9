import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import { z } from 'zod';
import { loadGlobalConfig, resolveSection, sectionSources } from '../../runtime/config.ts';
import { ConfigError } from '../../runtime/errors.ts';
import { tempDirPerTest } from '../temp-dir.ts';

describe('runtime/config', () => {
  const tmp = tempDirPerTest('pma-config-');

  it('uses defaults when nothing is given', () => {
    const c = loadGlobalConfig({}, {});
    expect(c.transport).to.equal('embedded');
    expect(c.registry).to.equal('embedded');
    expect(c.brokers).to.deep.equal(['127.0.0.1:9092']);
    expect(c.dataDir).to.equal(resolve('data'));
    expect(c.logFormat).to.equal('text');
  });

  it('lets flags win over environment, and environment over the config file', () => {
    const file = join(tmp.path, 'pma.yaml');
    writeFileSync(file, 'transport: kafka\nbrokers: [a:1, b:2]\nlogFormat: json\ndataDir: /tmp/from-file\n');
    const fromFile = loadGlobalConfig({ config: file }, {});
    expect(fromFile.transport).to.equal('kafka');
    expect(fromFile.brokers).to.deep.equal(['a:1', 'b:2']);
    expect(fromFile.registry).to.equal('http://127.0.0.1:8081');
    const fromEnv = loadGlobalConfig({ config: file }, { PMA_BROKERS: 'c:3,d:4', PMA_LOG_FORMAT: 'text' });
    expect(fromEnv.brokers).to.deep.equal(['c:3', 'd:4']);
    expect(fromEnv.logFormat).to.equal('text');
    const fromFlags = loadGlobalConfig({ config: file, brokers: 'e:5' }, { PMA_BROKERS: 'c:3' });
    expect(fromFlags.brokers).to.deep.equal(['e:5']);
    expect(fromFlags.dataDir).to.equal('/tmp/from-file');
  });

  it('reads the config file path from PMA_CONFIG, in JSON too', () => {
    const file = join(tmp.path, 'pma.json');
    writeFileSync(file, JSON.stringify({ registry: 'http://reg:8081' }));
    expect(loadGlobalConfig({}, { PMA_CONFIG: file }).registry).to.equal('http://reg:8081');
  });

  it('names the flag, variable or file key of a bad value', () => {
    expect(() => loadGlobalConfig({ registry: 'not a url' }, {}))
      .to.throw(ConfigError)
      .with.property('message')
      .that.matches(/^--registry: .*embedded.*URL/);
    expect(() => loadGlobalConfig({}, { PMA_TRANSPORT: 'carrier-pigeon' }))
      .to.throw(ConfigError)
      .with.property('message')
      .that.matches(/^PMA_TRANSPORT: .*"carrier-pigeon"/);
    const file = join(tmp.path, 'bad.json');
    writeFileSync(file, JSON.stringify({ logFormat: 'xml' }));
    expect(() => loadGlobalConfig({ config: file }, {}))
      .to.throw(ConfigError)
      .with.property('message')
      .that.contains(`${file}: logFormat`);
  });

  it('refuses an unknown key in the config file, and a file that is not an object', () => {
    const file = join(tmp.path, 'typo.json');
    writeFileSync(file, JSON.stringify({ transprot: 'kafka' }));
    expect(() => loadGlobalConfig({ config: file }, {})).to.throw(ConfigError, /unknown key "transprot"/);
    writeFileSync(file, JSON.stringify({ transport: 'kafka', ingest: { workers: 2 } }));
    expect(loadGlobalConfig({ config: file }, {}).file).to.deep.equal({ transport: 'kafka', ingest: { workers: 2 } });
    writeFileSync(file, '[1,2]');
    expect(() => loadGlobalConfig({ config: file }, {})).to.throw(ConfigError, /object at the top level/);
    writeFileSync(file, '{nope');
    expect(() => loadGlobalConfig({ config: file }, {})).to.throw(ConfigError, /not valid/);
    expect(() => loadGlobalConfig({ config: join(tmp.path, 'missing.json') }, {})).to.throw(ConfigError, /cannot read/);
  });

  it('resolves a command section from file section, PMA_<SECTION>_* and flags', () => {
    const schema = z.object({ workers: z.coerce.number().int().positive().default(2), followMode: z.boolean().default(false) }).strict();
    const file = { ingest: { workers: 3 } };
    const keys = ['workers', 'followMode'];
    expect(resolveSection(schema, sectionSources('ingest', keys, file, {}, {})).workers).to.equal(3);
    expect(resolveSection(schema, sectionSources('ingest', keys, file, { PMA_INGEST_WORKERS: '5' }, {})).workers).to.equal(5);
    expect(resolveSection(schema, sectionSources('ingest', keys, file, { PMA_INGEST_WORKERS: '5' }, { workers: '7' })).workers).to.equal(7);
    expect(() => resolveSection(schema, sectionSources('ingest', keys, file, { PMA_INGEST_WORKERS: '-1' }, {})))
      .to.throw(ConfigError)
      .with.property('message')
      .that.matches(/^PMA_INGEST_WORKERS: /);
    expect(() => resolveSection(schema, sectionSources('ingest', keys, { ingest: { wrokers: 1 } }, {}, {}, 'c.yaml'))).to.throw(ConfigError, /unknown setting "wrokers" in c.yaml: ingest.wrokers/);
  });
});
