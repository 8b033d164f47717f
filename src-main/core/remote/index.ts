// Remotes: a store shared through S3-compatible object storage.
// The API the CLI uses and a job can call: every long call takes onProgress
// and an AbortSignal (which throws CANCELLED), and fails with WeightlineErrors
// whose codes say what went wrong (REMOTE_AUTH, REMOTE_NOT_FOUND,
// REMOTE_UNREACHABLE, CLOCK_SKEW, REMOTE_CORRUPT, REMOTE_ERROR).
export { Remote, type ConnectOptions } from './client';
export { push, pushObjects, type PushOptions, type PushResult, type PushObject } from './push';
export { fetchRemote, clone, type FetchOptions, type FetchResult, type CloneOptions, type CloneResult } from './fetch';
export { remoteObjectFetcher, fetchRouteObjects, type FetchObjects, type LazyOptions, type RouteDownload } from './lazy';
export { verifyRemote, type VerifyRemoteOptions, type VerifyRemoteResult, type VerifyRemoteCommit } from './verify-remote';
export { addRemote, removeRemote, listRemotes, commitLocations, credentialsSource, remoteObjectHolder, type RemoteInfo, type CommitLocation, type Locations } from './remotes';
export { readRemotes, defaultRemote, type RemoteConfig } from './remote-files';
export { parseRemoteUrl, remoteUrl } from './url';
