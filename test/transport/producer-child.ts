/**
 * A producer process for the SIGKILL contract test: opens the transport under test through
 * `openTransport`, then sends batches in a loop (each batch to one partition, records tagged
 * with run, batch sequence, index and batch size) and prints one JSON line per acknowledged
 * batch: `{"run","seq","partition","first","last"}`. The parent kills it at a random moment.
 *
 * Usage: node producer-child.ts '<openConfig JSON>' <topic> <partitions> <run>
 */
import { silentLogger } from '../../runtime/logger.ts';
import { openTransport } from '../../transport/index.ts';

const [configJson, topic, partitionsArg, run] = process.argv.slice(2);
if (!configJson || !topic || !partitionsArg || !run) {
  process.stderr.write('usage: producer-child.ts <config> <topic> <partitions> <run>\n');
  process.exit(2);
}
const partitions = Number(partitionsArg);
const transport = await openTransport(JSON.parse(configJson), silentLogger, `contract-child-${run}`);
const producer = transport.producer();
const filler = 'x'.repeat(1_000);
for (let seq = 0; ; seq++) {
  const n = 20 + (seq % 31);
  const partition = seq % partitions;
  const records = Array.from({ length: n }, (_, i) => ({
    key: Buffer.from(`${run}-${seq}-${i}`),
    value: Buffer.from(JSON.stringify({ run, seq, i, n, filler })),
    partition,
  }));
  const meta = await producer.send(topic, records);
  process.stdout.write(`${JSON.stringify({ run, seq, partition, first: meta[0]!.offset, last: meta[n - 1]!.offset })}\n`);
}
