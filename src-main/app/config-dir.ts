// Where Weightline keeps per-user state (recent stores, the sample history):
// $WEIGHTLINE_CONFIG_DIR (tests), else $XDG_CONFIG_HOME/weightline, else
// %APPDATA%\Weightline on Windows, else ~/.config/weightline.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['WEIGHTLINE_CONFIG_DIR']) return env['WEIGHTLINE_CONFIG_DIR'];
  if (env['XDG_CONFIG_HOME']) return join(env['XDG_CONFIG_HOME'], 'weightline');
  if (process.platform === 'win32' && env['APPDATA']) return join(env['APPDATA'], 'Weightline');
  return join(homedir(), '.config', 'weightline');
}
