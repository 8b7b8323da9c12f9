/**
 * The producers' section of `pma status`: progress per endpoint from pma.cursors (units complete
 * of known, records, newest record, last update) and the gaps reported on pma.gaps.
 */
import { formatProducerStatus, producerStatus } from '../../producers/status.ts';
import { Serde } from '../../registry/serde.ts';
import { TOPICS } from '../../schemas/topics.ts';
import type { StatusSection } from './status-section.ts';

export const cursorsSection: StatusSection = {
  name: 'cursors',
  async collect(ctx) {
    const transport = await ctx.transport();
    if (!(await transport.admin().describeTopic(TOPICS.cursors.name))) return { text: ['no ingest has run yet (no pma.cursors)'], json: { endpoints: [], gaps: [] } };
    const { openRegistry } = await import('../../registry/index.ts');
    const registry = await openRegistry(ctx.action.config);
    try {
      const status = await producerStatus(transport, new Serde(registry));
      return { text: formatProducerStatus(status).split('\n'), json: status };
    } finally {
      await registry.close();
    }
  },
};
