import type { Command } from 'commander';
import type { VerbContext } from '../core/verbs';
import { verbs } from '../core/verbs';
import type { CommandContext } from './command-context';
import { printable } from '../../src-shared/printable';
import { humanBytes, shortId } from './format';

// remote add/list/remove, push, fetch, clone. The remote code (and the AWS SDK
// under it) loads only when one of these runs, or when a store has remotes:
// `log` and `commit` in a store without remotes never pay for it.

export interface RemoteCommandContext extends CommandContext {
  /** What a verb is given: the folder (after -C) and the running command's AbortSignal. */
  verbCtx(): VerbContext;
  /** Runs a verb with a progress bar on a TTY (none with --json), ended however the verb ends. */
  withBar<T>(json: boolean | undefined, run: (ctx: VerbContext) => Promise<T>): Promise<T>;
}

export function registerRemote(program: Command, ctx: RemoteCommandContext): void {
  const { out, json } = ctx;
  const r = program.command('remote').description('remote stores in S3-compatible object storage: add, list, remove');
  r.command('add')
    .description('add a remote: s3://BUCKET/PREFIX; credentials and region come from the AWS chain (nothing secret is stored)')
    .argument('<name>').argument('<url>', 's3://bucket[/prefix]')
    .option('--endpoint <url>', 'S3 endpoint of an S3-compatible server (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else AWS)')
    .option('--region <region>', 'region (default: the AWS chain: AWS_REGION, the profile)')
    .option('--json', 'print JSON: {"name","url","endpoint","region"}')
    .action(async (name: string, url: string, o: { endpoint?: string; region?: string; json?: boolean }) => {
      const info = await verbs.remoteAdd(ctx.verbCtx(), { name, url, ...(o.endpoint ? { endpoint: o.endpoint } : {}), ...(o.region ? { region: o.region } : {}) });
      if (o.json) json({ name: info.name, url: info.url, endpoint: info.endpoint, region: info.region });
      else out(`Added remote ${info.name} → ${info.url}${info.endpoint ? ` at ${info.endpoint}` : ''}`);
    });
  r.command('list', { isDefault: true })
    .description('list the remotes')
    .option('--json', 'print JSON: [{"name","url","endpoint","region","listedAt","commits"}]')
    .action(async (o: { json?: boolean }) => {
      const list = (await verbs.remoteList(ctx.verbCtx())).remotes;
      if (o.json) { json(list); return; }
      if (list.length === 0) { out('No remotes (add one with `weightline remote add origin s3://bucket/prefix`).'); return; }
      for (const x of list) out(`${printable(x.name)}\t${printable(x.url)}${x.endpoint ? `\t${printable(x.endpoint)}` : ''}${x.commits !== null ? `\t(${x.commits} commit(s) when last listed)` : ''}`);
    });
  r.command('remove')
    .alias('rm')
    .description('forget a remote (nothing on the remote is touched)')
    .argument('<name>')
    .option('--json', 'print JSON: {"name","removed"}')
    .action(async (name: string, o: { json?: boolean }) => {
      await verbs.remoteRemove(ctx.verbCtx(), { name });
      if (o.json) json({ name, removed: true }); else out(`Removed remote ${name}`);
    });

  program.command('push')
    .description('upload the commits (with their ancestors) the remote lacks; resumes where an interrupted push stopped')
    .argument('[name-or-ref]', 'remote name (default: the only remote, or origin), or a commit')
    .argument('[refs...]', 'commits to push (default: every commit)')
    .option('--endpoint <url>', 'S3 endpoint for this run')
    .option('--json', 'print JSON: {"remote","url","commits","alreadyThere","objectsUploaded","bytesUploaded","objectsAlreadyThere","rebuilt"}')
    .action(async (first: string | undefined, rest: string[], o: { endpoint?: string; json?: boolean }) => {
      const names = await verbs.remoteNames(ctx.verbCtx());
      const [name, refs] = first !== undefined && names.includes(first) ? [first, rest] : [undefined, first !== undefined ? [first, ...rest] : rest];
      const res = await ctx.withBar(o.json, (c) => verbs.push(c, { ...(name ? { remote: name } : {}), refs, ...(o.endpoint ? { endpoint: o.endpoint } : {}) }));
      if (o.json) { json(res); return; }
      const tagsSent = res.tagsSent ? `; ${res.tagsSent} tag setting(s) sent` : '';
      if (res.commits.length === 0 && res.objectsUploaded === 0) out(`${res.remote} already has ${res.alreadyThere} commit(s) asked for; ${tagsSent ? tagsSent.slice(2) : 'nothing to push'}`);
      else out(`Pushed ${res.commits.length} commit(s) to ${res.remote} (${res.url}): ${res.objectsUploaded} object(s), ${humanBytes(res.bytesUploaded)} sent${res.objectsAlreadyThere ? `; ${res.objectsAlreadyThere} object(s) were there already` : ''}${res.rebuilt ? `; ${res.rebuilt} full object(s) rebuilt to be sent` : ''}${tagsSent}`);
    });

  program.command('fetch')
    .description("bring the remote's history (manifests only; objects come with a restore)")
    .argument('[name]', 'remote name (default: the only remote, or origin)')
    .option('--endpoint <url>', 'S3 endpoint for this run')
    .option('--json', 'print JSON: {"remote","url","fetched","remoteCommits","remoteObjects"}')
    .action(async (name: string | undefined, o: { endpoint?: string; json?: boolean }) => {
      const res = await ctx.withBar(o.json, (c) => verbs.fetch(c, { ...(name ? { remote: name } : {}), ...(o.endpoint ? { endpoint: o.endpoint } : {}) }));
      if (o.json) { json(res); return; }
      out(res.fetched.length
        ? `Fetched ${res.fetched.length} commit(s) from ${res.remote}: ${res.fetched.slice(-3).map(shortId).join(', ')}${res.fetched.length > 3 ? ', …' : ''} (restore one to download its objects)`
        : `Up to date with ${res.remote} (${res.remoteCommits} commit(s))`);
      if (res.tags?.length) out(`Tags from ${res.remote}: ${res.tags.join(', ')} (newer there; \`weightline tag --list\` shows them)`);
    });

  program.command('clone')
    .description('make a new store from a remote (with origin set) and restore its newest commit')
    .argument('<url>', 's3://bucket[/prefix]')
    .argument('<dir>', 'a new (or empty) folder')
    .option('--endpoint <url>', 'S3 endpoint of an S3-compatible server (kept as the remote\'s endpoint)')
    .option('--region <region>', 'region (kept as the remote\'s region)')
    .option('--no-checkout', 'fetch the history only; restore nothing')
    .option('--json', 'print JSON: {"root","head","fetched","restored"}')
    .action(async (url: string, dir: string, o: { endpoint?: string; region?: string; checkout: boolean; json?: boolean }) => {
      const res = await ctx.withBar(o.json, (c) => verbs.clone(c, { url, dir, ...(o.endpoint ? { endpoint: o.endpoint } : {}), ...(o.region ? { region: o.region } : {}), checkout: o.checkout }));
      for (const n of res.notes) ctx.err(`weightline: note: ${printable(n)}`);
      const restored = res.restored;
      if (o.json) { json({ root: res.root, head: res.head, fetched: res.fetched.length, restored }); return; }
      out(`Cloned ${url} into ${res.root}: ${res.fetched.length} commit(s)${res.head ? `, HEAD ${shortId(res.head)}` : ''}${restored ? `, restored ${restored}` : ''}`);
    });
}
