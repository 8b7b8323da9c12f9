/**
 * What a `pma status` section is and what it gets. Apart from status.ts, which lists the
 * sections, so that a section in a module of its own does not import the module importing it.
 */
import type { Transport } from '../../transport/types.ts';
import type { ActionContext } from '../action.ts';

export interface StatusOptions {
  /** Per-partition rows as well as totals. */
  partitions: boolean;
  /** Only these consumer groups (all if empty). */
  groups: string[];
}

/** What a section gets: the command context and the transport, opened once on first use. */
export interface StatusContext {
  readonly action: ActionContext;
  readonly options: StatusOptions;
  transport(): Promise<Transport>;
}

export interface StatusReport {
  /** Lines printed under the section's title. */
  text: string[];
  /** The section's value in `--json` output. */
  json: unknown;
}

export interface StatusSection {
  /** Key in the JSON output and title of the text section. */
  name: string;
  collect(ctx: StatusContext): Promise<StatusReport>;
}
