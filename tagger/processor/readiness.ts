/**
 * When a tag is ready for the models: once it has at least `minExamples` positive and as many
 * negative examples. Before that the models would judge from the name and description alone,
 * and the examples added a minute later would steer nothing already decided.
 */
export interface ExampleCounts {
  positives: number;
  negatives: number;
}

export function readyToClassify(tag: ExampleCounts, minExamples: number): boolean {
  return tag.positives >= minExamples && tag.negatives >= minExamples;
}

/** What a tag still lacks, in words for the page; null when it is ready. */
export function missingExamples(tag: ExampleCounts, minExamples: number): string | null {
  if (readyToClassify(tag, minExamples)) return null;
  const lack = [tag.positives < minExamples ? `${minExamples - tag.positives} more that belong` : '', tag.negatives < minExamples ? `${minExamples - tag.negatives} more that do not` : ''].filter(
    Boolean,
  );
  return `the models start once it has ${minExamples} examples of each kind: add ${lack.join(' and ')}`;
}
