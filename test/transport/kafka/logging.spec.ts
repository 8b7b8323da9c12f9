import { expect } from 'chai';
import kafkajs from 'kafkajs';
import type { LogFields, Logger } from '../../../runtime/logger.ts';
import { kafkajsLogCreator } from '../../../transport/kafka/logging.ts';

function recordingLogger(lines: Array<{ level: string; msg: string; fields: LogFields }>, bindings: LogFields = {}): Logger {
  const at =
    (level: string) =>
    (msg: string, fields: LogFields = {}) =>
      lines.push({ level, msg, fields: { ...bindings, ...fields } });
  return {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => recordingLogger(lines, { ...bindings, ...more }),
  };
}

describe('kafkajs logs through our Logger', () => {
  const entry = (level: kafkajs.logLevel, namespace: string, message: string, extra: Record<string, unknown> = {}) => ({
    namespace,
    level,
    label: 'X',
    log: { timestamp: 'now', logger: 'kafkajs', message, ...extra },
  });

  it('maps kafkajs levels, tags the component, and drops kafkajs bookkeeping fields', () => {
    const lines: Array<{ level: string; msg: string; fields: LogFields }> = [];
    const log = kafkajsLogCreator(recordingLogger(lines))(kafkajs.logLevel.INFO);
    log(entry(kafkajs.logLevel.ERROR, 'Consumer', 'Crash: connection lost', { groupId: 'g', stack: 'long' }));
    log(entry(kafkajs.logLevel.WARN, 'Cluster', 'metadata stale'));
    log(entry(kafkajs.logLevel.INFO, 'ConsumerGroup', 'Consumer has joined the group'));
    log(entry(kafkajs.logLevel.ERROR, 'Connection', 'Response Metadata(key: 3, version: 6)', { error: 'not leader' }));
    expect(lines.map((l) => [l.level, l.msg])).to.deep.equal([
      ['warn', 'Crash: connection lost'],
      ['warn', 'metadata stale'],
      ['debug', 'Consumer has joined the group'],
      ['debug', 'Response Metadata(key: 3, version: 6)'],
    ]);
    expect(lines[0]!.fields).to.deep.equal({ component: 'kafkajs', namespace: 'Consumer', groupId: 'g' });
  });

  it('lowers the one warning our bounded retries are expected to cause', () => {
    const lines: Array<{ level: string; msg: string; fields: LogFields }> = [];
    const log = kafkajsLogCreator(recordingLogger(lines))(kafkajs.logLevel.INFO);
    log(entry(kafkajs.logLevel.WARN, 'Producer', 'Limiting retries for the idempotent producer may invalidate EoS guarantees'));
    expect(lines.map((l) => l.level)).to.deep.equal(['debug']);
  });
});
