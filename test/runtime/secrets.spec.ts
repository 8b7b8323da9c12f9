/** Passwords in log fields and error contexts: shown as ***, in every form a log or an error takes. */
import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { ConfigError, describeError, RegistryError, serializeError } from '../../runtime/errors.ts';
import { createLogger } from '../../runtime/logger.ts';

const SECRET = 'hunter2-secret';

async function logged(format: 'json' | 'text'): Promise<string> {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  const log = createLogger({ format, level: 'info', stream });
  const err = new RegistryError('registry refused', { url: `https://reg:${SECRET}@host:8081`, registryPassword: SECRET });
  log.warn('connecting', { kafkaSaslPassword: SECRET, registry: `https://reg:${SECRET}@host:8081`, err });
  await new Promise((r) => setImmediate(r));
  return chunks.join('');
}

describe('runtime/secrets: redaction in logs and errors', () => {
  for (const format of ['json', 'text'] as const) {
    it(`keeps passwords out of ${format} log lines, fields and error contexts alike`, async () => {
      const out = await logged(format);
      expect(out).to.contain('reg:***@host:8081').and.to.contain('***');
      expect(out).not.to.contain(SECRET);
    });
  }

  it('keeps passwords out of serialised and described errors', () => {
    const err = new ConfigError('bad settings', { field: 'kafkaSaslPassword', kafkaSaslPassword: SECRET, value: `http://u:${SECRET}@h:1` });
    expect(JSON.stringify(serializeError(err))).not.to.contain(SECRET);
    expect(describeError(err)).to.contain('u:***@h:1');
    expect(describeError(err)).not.to.contain(SECRET);
  });
});
