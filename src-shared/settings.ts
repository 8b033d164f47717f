// The settings' older names, kept for the callers that still use them: the
// rules live in src-shared/policy/settings.ts, once.
import { DEFAULT_SETTINGS, SETTING_KEYS, SETTING_SCHEMAS, settingExpected, type Settings, type SettingKey } from './policy/settings';

export type StoreConfig = Settings;
export const DEFAULT_CONFIG = DEFAULT_SETTINGS;
export const CONFIG_VALUE_SCHEMAS = SETTING_SCHEMAS;
export const CONFIG_KEYS = SETTING_KEYS;
/** What each setting takes, in words, for messages. */
export const CONFIG_EXPECTED: { readonly [K in SettingKey]: string } = Object.fromEntries(SETTING_KEYS.map((k) => [k, settingExpected(k)])) as { readonly [K in SettingKey]: string };
