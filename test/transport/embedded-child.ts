/**
 * A second OS process on an embedded log, for the multi-process tests.
 *
 *   node embedded-child.ts produce <log path> <topic> <value>       sends one record, prints "sent <ms>", exits
 *   node embedded-child.ts consume <log path> <topic> <group> <sessionTimeoutMs>
 *       joins the group, prints its assignment as a JSON line whenever it changes, polls until killed
 */
import { silentLogger } from '../../runtime/logger.ts';
import { createEmbeddedTransport } from '../../transport/embedded/index.ts';

const [mode, path, topic, arg, sessionArg] = process.argv.slice(2);
if (!path || !topic || !arg || (mode !== 'produce' && mode !== 'consume')) {
  process.stderr.write('usage: embedded-child.ts produce|consume <path> <topic> <value|group> [sessionTimeoutMs]\n');
  process.exit(2);
}
const transport = await createEmbeddedTransport({
  path,
  logger: silentLogger,
  sessionTimeoutMs: Number(sessionArg ?? 10_000),
});
if (mode === 'produce') {
  await transport.producer().send(topic, [{ key: null, value: Buffer.from(arg) }]);
  process.stdout.write(`sent ${Date.now()}\n`);
  await transport.close();
} else {
  const consumer = transport.consumer({ groupId: arg, fromBeginning: true });
  await consumer.subscribe([topic]);
  let last = '';
  for (;;) {
    await consumer.poll({ waitMs: 100 });
    const now = JSON.stringify(consumer.assignment().map((a) => a.partition));
    if (now !== last) {
      process.stdout.write(`${now}\n`);
      last = now;
    }
  }
}
