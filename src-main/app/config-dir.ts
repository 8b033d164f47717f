// Where Weightline keeps per-user state:
// - configDir (recent stores): $WEIGHTLINE_CONFIG_DIR (tests), else
//   $XDG_CONFIG_HOME/weightline, else %APPDATA%\Weightline on Windows, else
//   ~/.config/weightline.
// - dataDir (the generated sample history, tens of MB that are no settings):
//   $WEIGHTLINE_DATA_DIR, else $WEIGHTLINE_CONFIG_DIR (tests keep everything
//   in one scratch folder), else $XDG_DATA_HOME/weightline, else
//   %LOCALAPPDATA%\Weightline on Windows, ~/Library/Application Support/Weightline
//   on macOS, else ~/.local/share/weightline.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['WEIGHTLINE_CONFIG_DIR']) return env['WEIGHTLINE_CONFIG_DIR'];
  if (env['XDG_CONFIG_HOME']) return join(env['XDG_CONFIG_HOME'], 'weightline');
  if (process.platform === 'win32' && env['APPDATA']) return join(env['APPDATA'], 'Weightline');
  return join(homedir(), '.config', 'weightline');
}

export function dataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env['WEIGHTLINE_DATA_DIR']) return env['WEIGHTLINE_DATA_DIR'];
  if (env['WEIGHTLINE_CONFIG_DIR']) return env['WEIGHTLINE_CONFIG_DIR'];
  if (env['XDG_DATA_HOME']) return join(env['XDG_DATA_HOME'], 'weightline');
  if (platform === 'win32' && env['LOCALAPPDATA']) return join(env['LOCALAPPDATA'], 'Weightline');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Weightline');
  return join(homedir(), '.local', 'share', 'weightline');
}
