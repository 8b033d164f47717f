// Which way a metric is better, by its name. Shared by the app's "best" mark
// and columns (src-renderer/src/lib/run-metrics.ts) and the retention rule's
// --keep-best when no direction is given, so both call the same commit "best".

export type Direction = 'lower' | 'higher';

// Parts of a metric's name that mean "an error": smaller is better. Matched
// per word (eval_wer, val/loss), so "answer_f1" is not read as a WER.
const LOWER_WORDS = new Set(['wer', 'cer', 'mse', 'mae', 'rmse', 'ppl', 'nll']);
const LOWER_INSIDE = ['loss', 'error', 'perplexity'];

/**
 * Which way a metric is better, by its name: loss, error, perplexity and the
 * error rates (wer, cer, mse, mae) are lower-is-better; anything else
 * (accuracy, f1, bleu, reward) higher-is-better.
 */
export function metricDirection(name: string): Direction {
  const lower = name.toLowerCase();
  if (LOWER_INSIDE.some((w) => lower.includes(w))) return 'lower';
  return lower.split(/[^a-z0-9]+/u).some((w) => LOWER_WORDS.has(w)) ? 'lower' : 'higher';
}
