import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { loadGlobalConfig } from '../../runtime/config.ts';
import { loadKafkaConfig } from '../../runtime/kafka-config.ts';
import { tempDirPerTest } from '../temp-dir.ts';
import { configError } from './config-error.ts';

describe('runtime/kafka-config', () => {
  const tmp = tempDirPerTest('pma-kafka-config-');

  it('has no prefixes and no layout by default', () => {
    expect(loadKafkaConfig({}, {})).to.deep.equal({ topicPrefix: '', groupPrefix: '', defaults: { partitions: undefined, replicationFactor: undefined, minInsyncReplicas: undefined }, topics: {} });
    expect(loadGlobalConfig({}, {}).kafka.topicPrefix).to.equal('');
  });

  it('reads the kafka: section of the config file, per topic too, and lets PMA_KAFKA_* win', () => {
    const file = join(tmp.path, 'pma.yaml');
    writeFileSync(file, ['kafka:', '  topicPrefix: team-a.', '  replicationFactor: 3', '  minInsyncReplicas: 2', '  topics:', '    pma.trades: { partitions: 12 }', ''].join('\n'));
    const fromFile = loadGlobalConfig({ config: file }, {}).kafka;
    expect(fromFile.topicPrefix).to.equal('team-a.');
    expect(fromFile.groupPrefix, 'group prefix defaults to the topic prefix').to.equal('team-a.');
    expect(fromFile.defaults).to.deep.include({ replicationFactor: 3, minInsyncReplicas: 2 });
    expect(fromFile.topics).to.deep.equal({ 'pma.trades': { partitions: 12 } });
    const fromEnv = loadGlobalConfig({ config: file }, { PMA_KAFKA_TOPIC_PREFIX: 'team-b.', PMA_KAFKA_GROUP_PREFIX: 'g-b.', PMA_KAFKA_PARTITIONS: '8', PMA_KAFKA_REPLICATION_FACTOR: '1' }).kafka;
    expect(fromEnv).to.deep.include({ topicPrefix: 'team-b.', groupPrefix: 'g-b.' });
    expect(fromEnv.defaults).to.deep.equal({ partitions: 8, replicationFactor: 1, minInsyncReplicas: 2 });
  });

  it('refuses prefixes Kafka cannot hold, non-positive counts and unknown keys, naming where they came from', () => {
    expect(configError(() => loadKafkaConfig({}, { PMA_KAFKA_TOPIC_PREFIX: 'team a/' })).message).to.match(/PMA_KAFKA_TOPIC_PREFIX.*a-z A-Z 0-9/);
    expect(configError(() => loadKafkaConfig({}, { PMA_KAFKA_GROUP_PREFIX: 'x'.repeat(201) })).message).to.match(/PMA_KAFKA_GROUP_PREFIX/);
    expect(configError(() => loadKafkaConfig({}, { PMA_KAFKA_PARTITIONS: '0' })).message).to.match(/PMA_KAFKA_PARTITIONS/);
    expect(configError(() => loadKafkaConfig({ kafka: { topics: { 'pma.trades': { partitions: -1 } } } }, {})).message).to.match(/topics/);
    expect(configError(() => loadKafkaConfig({ kafka: { topics: { 'pma.trades': { replicas: 3 } } } }, {})).message).to.match(/unknown setting "replicas"/);
    expect(configError(() => loadKafkaConfig({ kafka: { prefix: 'x' } }, {})).message).to.match(/unknown setting "prefix"/);
    expect(configError(() => loadKafkaConfig({ kafka: { topics: { 'pma trades': { partitions: 2 } } } }, {})).message).to.match(/kafka.topics: Invalid key.*pma trades/);
    expect(configError(() => loadKafkaConfig({ kafka: { topics: { 'pma.trade': { partitions: 8 } } } }, {})).message).to.match(
      /kafka.topics: unknown topic "pma.trade" \(the pipeline's topics: .*pma.trades/,
    );
  });
});
