import { expect } from 'chai';
import { describeFromConfig, topicConfigFor, validateTopicSpec } from '../../../transport/kafka/topic-config.ts';

describe('kafka topic configs', () => {
  it('keeps delete topics forever unless a retention is given', () => {
    expect(topicConfigFor({ name: 't', partitions: 1 })).to.deep.equal({
      'cleanup.policy': 'delete',
      'retention.ms': '-1',
      'retention.bytes': '-1',
    });
    expect(topicConfigFor({ name: 't', partitions: 1, retentionMs: 60_000, retentionBytes: 1_000_000 })).to.include({
      'retention.ms': '60000',
      'retention.bytes': '1000000',
    });
  });

  it('makes compacted topics compact, and compact,delete when they also have a retention', () => {
    const compact = topicConfigFor({ name: 't', partitions: 1, cleanupPolicy: 'compact' });
    expect(compact['cleanup.policy']).to.equal('compact');
    expect(compact).to.have.property('segment.ms');
    expect(compact).to.have.property('min.cleanable.dirty.ratio');
    expect(topicConfigFor({ name: 't', partitions: 1, cleanupPolicy: 'compact', retentionMs: 1_000 })['cleanup.policy']).to.equal('compact,delete');
  });

  it('describes back what it wrote', () => {
    for (const spec of [
      { name: 'a', partitions: 3 },
      { name: 'b', partitions: 2, retentionMs: 5_000 },
      { name: 'c', partitions: 1, cleanupPolicy: 'compact' as const },
      { name: 'd', partitions: 4, cleanupPolicy: 'compact' as const, retentionBytes: 9_999 },
    ]) {
      expect(describeFromConfig(spec.name, spec.partitions, topicConfigFor(spec))).to.deep.equal({
        cleanupPolicy: 'delete',
        ...spec,
      });
    }
  });

  it('refuses bad names, partition counts and retentions, naming the field', () => {
    expect(() => validateTopicSpec({ name: 'bad name', partitions: 1 })).to.throw(/invalid Kafka topic name/);
    expect(() => validateTopicSpec({ name: 'ok', partitions: 0 })).to.throw(/partitions/);
    expect(() => validateTopicSpec({ name: 'ok', partitions: 1, retentionMs: -5 })).to.throw(/retentionMs/);
  });
});
