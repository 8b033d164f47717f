// What a subcommand registered from its own module needs from main(): the
// folder it runs in (after -C) and the output functions.
export interface CommandContext {
  here(): string;
  out(s: string): void;
  /** A line on stderr (notes and warnings; never the result). */
  err(s: string): void;
  json(v: unknown): void;
  /** The shell words that run this CLI (`weightline`, or `node /abs/bin/weightline.mjs` when that is not on PATH). */
  readonly self?: string;
}
