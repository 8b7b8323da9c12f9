/**
 * What saving a tag's examples or description will do, said before the reviewer saves: how many
 * markets the models decide again, and that people's decisions stay.
 */
import { missingExamples } from '../processor/readiness.ts';
import type { TagRow } from '../store/tag-store.ts';
import { html, type SafeHtml } from './html.ts';
import { fmtNum } from './layout.ts';

export interface RerunContext {
  minExamples: number;
  modelsChosen: boolean;
  delayMs: number;
  /** Markets the re-run decides (neither an example nor decided by a person). */
  markets: number;
}

/** `saving` names the edit, e.g. "Saving a changed description". */
export function rerunNotice(tag: TagRow, o: RerunContext, saving: string): SafeHtml {
  const kept = `${fmtNum(tag.human)} human decision${tag.human === 1 ? ' is' : 's are'} kept`;
  const missing = missingExamples(tag, o.minExamples);
  const text = !tag.active
    ? `The tag is inactive: ${saving.toLowerCase()} does not run the models; ${kept}.`
    : !o.modelsChosen
      ? `No models are chosen (Settings): ${saving.toLowerCase()} does not run them; ${kept}.`
      : missing
        ? `${saving} does not run the models yet: ${missing}.`
        : `${saving} re-runs the models on ${fmtNum(o.markets)} market${o.markets === 1 ? '' : 's'} (${String(Math.round(o.delayMs / 100) / 10)} s after your last change, so several edits make one re-run); ${kept}; examples are never classified.`;
  return html`<p class="hint rerun-notice" role="note">${text}</p>`;
}
