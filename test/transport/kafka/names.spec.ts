import { expect } from 'chai';
import { ConfigError } from '../../../runtime/errors.ts';
import { KafkaNames } from '../../../transport/kafka/names.ts';
import { layoutFor } from '../../../transport/kafka/topic-layout.ts';

describe('kafka names and topic layout', () => {
  it('puts the prefixes before topics and groups, and maps wire names back', () => {
    const names = new KafkaNames({ topicPrefix: 'a.', groupPrefix: 'ga.' });
    expect(names.topic('pma.trades')).to.equal('a.pma.trades');
    expect(names.group('pma-sink-bronze')).to.equal('ga.pma-sink-bronze');
    expect(names.logicalTopic('a.pma.trades')).to.equal('pma.trades');
    expect(names.logicalTopic('b.pma.trades'), "another pipeline's topic").to.equal(undefined);
    expect(names.logicalGroup('ga.pma-sink-bronze')).to.equal('pma-sink-bronze');
    expect(names.logicalGroup('gb.pma-sink-bronze')).to.equal(undefined);
    expect(new KafkaNames({ topicPrefix: 'a.' }).group('g'), 'group prefix defaults to the topic prefix').to.equal('a.g');
    const none = new KafkaNames();
    expect(none.topic('pma.trades')).to.equal('pma.trades');
    expect(none.logicalTopic('b.pma.trades')).to.equal('b.pma.trades');
  });

  it('refuses illegal prefixes, and topic names too long once prefixed', () => {
    expect(() => new KafkaNames({ topicPrefix: 'a/b' })).to.throw(ConfigError, /topicPrefix/);
    expect(() => new KafkaNames({ groupPrefix: 'a b' })).to.throw(ConfigError, /groupPrefix/);
    const names = new KafkaNames({ topicPrefix: 'p'.repeat(200) });
    expect(names.topic('t'.repeat(49))).to.have.length(249);
    expect(() => names.topic('t'.repeat(50))).to.throw(ConfigError, /1-249.*prefix/);
    expect(() => names.topic('a:b')).to.throw(ConfigError);
  });

  it('lays a topic out from its own settings, then the defaults, then the catalogue and broker', () => {
    const spec = { name: 'pma.trades', partitions: 4 };
    expect(layoutFor(spec, {})).to.deep.equal({ partitions: 4, replicationFactor: -1 });
    expect(layoutFor(spec, { defaults: { partitions: 6, replicationFactor: 3, minInsyncReplicas: 2 } })).to.deep.equal({ partitions: 6, replicationFactor: 3, minInsyncReplicas: 2 });
    expect(layoutFor(spec, { defaults: { partitions: 6, replicationFactor: 3 }, topics: { 'pma.trades': { partitions: 12 } } })).to.deep.equal({ partitions: 12, replicationFactor: 3 });
    expect(layoutFor({ name: 'pma.gaps', partitions: 1 }, { topics: { 'pma.trades': { partitions: 12 } } })).to.deep.equal({ partitions: 1, replicationFactor: -1 });
    expect(() => layoutFor(spec, { defaults: { replicationFactor: 2, minInsyncReplicas: 3 } })).to.throw(ConfigError, /minInsyncReplicas 3 is more than its replicationFactor 2/);
  });
});
