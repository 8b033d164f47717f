// Every verb of the registry (src-shared/verbs.ts) is reachable from each
// front door with the same schema: the contract's jobs.start takes the
// registry's schema, the job runner dispatches every kind to a verb, and every
// CLI command a verb names exists. A verb added to the registry and forgotten
// by one door fails here.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { calls, isCallName, isWritingJob, jobRequest, type CallName } from '../../src-shared/contract';
import { isWeightlineError } from '../../src-shared/errors';
import { CLI_COMMANDS, JOB_KINDS, JOB_VERBS, JOBS_KEEPING_STORE, QUICK_VERBS } from '../../src-shared/verbs';
import { main } from '../../src-main/cli/main';
import { runJob } from '../../src-main/jobs/run-job';
import { useScratch } from '../helpers/models';

const scratch = useScratch();

describe('the verb registry', () => {
  it('the contract starts jobs with the registry schema, and accepts each kind\'s example', () => {
    expect(calls['jobs.start']).toBe(jobRequest);
    for (const kind of JOB_KINDS) {
      const example = JOB_VERBS[kind].example;
      expect(example.kind, kind).toBe(kind);
      const parsed = jobRequest.safeParse(example);
      expect(parsed.success, `${kind}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
      // The union and the kind's own schema agree on what the example means.
      expect(parsed.data).toEqual(JOB_VERBS[kind].args.parse(example));
    }
    expect(jobRequest.safeParse({ kind: 'nope' }).success).toBe(false);
  });

  it('every quick verb the app answers is a contract call with the registry schema, accepting its example', () => {
    const answered = Object.entries(QUICK_VERBS).filter(([, v]) => v.call);
    expect(answered.map(([k]) => k).sort()).toEqual(['configGet', 'init', 'log', 'ops', 'remoteAdd', 'remoteList', 'remoteRemove', 'retentionGet', 'retentionSet', 'show', 'statusQuick', 'workingCopyQuick']);
    for (const [verb, v] of answered) {
      expect(isCallName(v.call), verb).toBe(true);
      expect(calls[v.call as CallName], verb).toBe(v.args);
      expect(v.args.safeParse(v.example).success, verb).toBe(true);
    }
  });

  it('whether a job writes is the registry\'s: repair writes unless it is a dry run; a job that writes never keeps the cached store', () => {
    expect(isWritingJob({ kind: 'repair', dryRun: true })).toBe(false);
    expect(isWritingJob({ kind: 'repair', dryRun: false })).toBe(true);
    for (const kind of JOB_KINDS) {
      const writes = isWritingJob(jobRequest.parse(JOB_VERBS[kind].example));
      if (writes) expect(JOBS_KEEPING_STORE.has(kind), kind).toBe(false);
    }
    expect([...JOBS_KEEPING_STORE].sort()).toEqual(['cleanupPreview', 'diff', 'sample', 'status', 'verify', 'workingCopy']);
  });

  it('the job runner dispatches every kind to its verb (each reaches the store and finds none there)', async () => {
    const notAStore = scratch();
    // A non-empty folder: the sample verb refuses it rather than writing a history into it.
    await fs.writeFile(path.join(notAStore, 'README.md'), 'not a store\n');
    const signal = new AbortController().signal;
    for (const kind of JOB_KINDS) {
      const outcome = await runJob(notAStore, jobRequest.parse(JOB_VERBS[kind].example), { onProgress: () => undefined, signal }).then(
        () => null,
        (e: unknown) => e,
      );
      // An undispatched kind would throw a TypeError (a bug), not the verb's expected refusal.
      expect(isWeightlineError(outcome), `${kind}: ${String(outcome)}`).toBe(true);
      expect((outcome as { code: string }).code, kind).toBe(kind === 'sample' ? 'REFUSED' : 'NOT_A_STORE');
    }
  });

  it('every CLI command a verb names exists', async () => {
    const named = [...Object.values(JOB_VERBS), ...Object.values(QUICK_VERBS)].map((v) => v.cli).filter((c) => c !== null);
    expect(new Set(named)).toEqual(new Set(CLI_COMMANDS));
    for (const cmd of CLI_COMMANDS) {
      let stdout = '';
      const code = await main([cmd, '--help'], { cwd: scratch(), stdout: { write: (s: string) => (stdout += s) }, stderr: { write: () => true } });
      expect(code, cmd).toBe(0);
      expect(stdout, cmd).toContain(`Usage: weightline ${cmd}`);
    }
  });
});
