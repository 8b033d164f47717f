// JSON.parse recurses once per nesting level, so text nested a few hundred
// thousand levels deep overflows the stack with a RangeError that is nobody's
// error code (a safetensors header nested 500,000 deep did). Every reader
// of untrusted JSON counts the depth on the bytes first.

/** How deep `text` nests arrays and objects, counting no further than limit + 1; brackets inside strings do not count. */
export function jsonDepth(text: Uint8Array | string, limit: number): number {
  const at = typeof text === 'string' ? (i: number) => text.charCodeAt(i) : (i: number) => text[i]!;
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const b = at(i);
    if (inString) {
      if (b === 0x5c) i++; // backslash: the next character is escaped
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) inString = true;
    else if (b === 0x5b || b === 0x7b) {
      max = Math.max(max, ++depth);
      if (depth > limit) return depth;
    } else if (b === 0x5d || b === 0x7d) depth--;
  }
  return max;
}
