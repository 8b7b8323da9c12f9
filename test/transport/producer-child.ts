/**
 * A producer process for the SIGKILL contract test: opens the transport under test through
 * `openTransport`, then sends in a loop (records tagged with run, send sequence, index and send
 * size; each send to one partition, or spread over all of them) and prints one JSON line per
 * acknowledged send: `{"run","seq","ranges":[[partition, first, last], ...]}`. The parent kills
 * it at a random moment.
 *
 * Usage: node producer-child.ts '<openConfig JSON>' <topic> <partitions> <run> single|spread
 */
import { silentLogger } from '../../runtime/logger.ts';
import { openTransport } from '../../transport/index.ts';

const [configJson, topic, partitionsArg, run, mode] = process.argv.slice(2);
if (!configJson || !topic || !partitionsArg || !run || (mode !== 'single' && mode !== 'spread')) {
  process.stderr.write('usage: producer-child.ts <config> <topic> <partitions> <run> single|spread\n');
  process.exit(2);
}
const partitions = Number(partitionsArg);
const transport = await openTransport(JSON.parse(configJson), silentLogger, `contract-child-${run}`);
const producer = transport.producer();
const filler = 'x'.repeat(1_000);
for (let seq = 0; ; seq++) {
  const n = 20 + (seq % 31);
  const records = Array.from({ length: n }, (_, i) => ({
    key: Buffer.from(`${run}-${seq}-${i}`),
    value: Buffer.from(JSON.stringify({ run, seq, i, n, filler })),
    partition: mode === 'spread' ? i % partitions : seq % partitions,
  }));
  const ranges = new Map<number, [number, number, number]>();
  for (const m of await producer.send(topic, records)) {
    const range = ranges.get(m.partition);
    if (range) range[2] = m.offset;
    else ranges.set(m.partition, [m.partition, m.offset, m.offset]);
  }
  process.stdout.write(`${JSON.stringify({ run, seq, ranges: [...ranges.values()] })}\n`);
}
