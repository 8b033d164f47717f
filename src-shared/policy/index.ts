// The domain's rules, pure: settings and their bounds, when a commit is a
// CHECKPOINT, which commits keep full parameters. No Node, no I/O.
export * from './settings';
export * from './checkpoint';
export * from './keep';
export * from './retention';
export * from './metric-direction';
