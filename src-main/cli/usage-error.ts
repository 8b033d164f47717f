/** A command line the CLI refuses by itself (exit 2, BAD_USAGE), before or without touching a store. */
export class UsageError extends Error {}
