// Text that came from a manifest, a file name or a remote may hold terminal
// control sequences: ESC[2K ESC[1A erase and overwrite lines (a fake "all ok"
// painted over a real error), OSC 52 writes the clipboard, and U+009B is a
// one-character CSI on terminals that read C1 controls. The CLI's writers pass
// everything through printableText (cli/main.ts), so nothing slips past
// whatever command prints it; --json output goes through jsonText, which
// stays valid JSON.

// C0 controls, DEL, C1 controls, the bidi overrides and isolates (they make a
// line read as another), and unpaired surrogates (the u flag matches only those).
// eslint-disable-next-line no-control-regex -- finding control characters is this regex's job
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ud800-\udfff]/gu;
// The same, keeping the newline and tab the CLI's own layout uses.
// eslint-disable-next-line no-control-regex -- finding control characters is this regex's job
const CONTROL_IN_TEXT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ud800-\udfff]/gu;
// What JSON.stringify leaves raw but a terminal may act on (it escapes U+0000-U+001F and lone surrogates itself).
const CONTROL_IN_JSON = /[\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]/gu;

function escape(c: string): string {
  const code = c.codePointAt(0)!;
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** One value (a name, a path, a message line) with every control character shown as an escape: ESC becomes `\x1b`. */
export function printable(s: string): string {
  return s.replace(CONTROL, escape);
}

/** Output text with control characters escaped, keeping its newlines and tabs. */
export function printableText(s: string): string {
  return s.replace(CONTROL_IN_TEXT, escape);
}

/** JSON text of v where no character a terminal acts on is raw; JSON.parse gives v back unchanged. */
export function jsonText(v: unknown, indent?: number): string {
  // Outside strings JSON is ASCII, so every match is inside a string, where \uXXXX means the same character.
  return (JSON.stringify(v, null, indent) ?? 'null').replace(CONTROL_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Another error's message as a clause of a longer sentence: without its own
 * closing full stop, so joining it with "; what next" never reads ".;".
 */
export function clause(s: string): string {
  return s.replace(/\s+$/u, '').replace(/(?<!\.)\.$/u, '');
}
