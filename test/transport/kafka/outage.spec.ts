/** The Kafka outage budget: how many retries it buys, and PMA_KAFKA_OUTAGE_MS read strictly. */
import { expect } from 'chai';
import { ConfigError } from '../../../runtime/errors.ts';
import { kafkaOutageMs } from '../../../transport/index.ts';
import { DEFAULT_RETRY, retriesFor } from '../../../transport/kafka/client.ts';

/** The shortest total kafkajs can wait over `retries` (every wait cut by the full jitter). */
function shortestWait(retries: number): number {
  let total = 0;
  for (let i = 0; i < retries; i++) total += Math.min(DEFAULT_RETRY.initialRetryTime * DEFAULT_RETRY.multiplier ** i, DEFAULT_RETRY.maxRetryTime) * (1 - DEFAULT_RETRY.factor);
  return total;
}

describe('kafka outage budget', () => {
  it('buys retries whose shortest backoff still covers the budget, and no more than one retry beyond it', () => {
    for (const budget of [5_000, 35_000, 60_000, 120_000, 600_000]) {
      const retries = retriesFor(budget);
      expect(shortestWait(retries), `${budget} ms`).to.be.at.least(budget);
      expect(shortestWait(retries - 1), `${budget} ms`).to.be.below(budget);
    }
  });

  it('reads PMA_KAFKA_OUTAGE_MS as whole milliseconds of at least a second, and names the variable when it is not', () => {
    expect(kafkaOutageMs({})).to.equal(undefined);
    expect(kafkaOutageMs({ PMA_KAFKA_OUTAGE_MS: '60000' })).to.equal(60_000);
    for (const bad of ['abc', '500', '1.5e3', '-1']) {
      expect(() => kafkaOutageMs({ PMA_KAFKA_OUTAGE_MS: bad }), bad)
        .to.throw(ConfigError, /PMA_KAFKA_OUTAGE_MS/)
        .with.property('context')
        .that.includes({ value: bad });
    }
  });
});
