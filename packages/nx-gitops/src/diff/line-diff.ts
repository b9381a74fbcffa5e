/** One line of an edit script: kept (`' '`), removed (`'-'`) or added (`'+'`). */
export interface LineEdit {
  op: ' ' | '-' | '+';
  line: string;
}

/**
 * The shortest edit script from `before` to `after` (Myers' O(ND) algorithm), after stripping the common
 * prefix and suffix, which is where most of a manifest's lines are.
 */
export function diffLines(before: readonly string[], after: readonly string[]): LineEdit[] {
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start++;
  let endBefore = before.length;
  let endAfter = after.length;
  while (endBefore > start && endAfter > start && before[endBefore - 1] === after[endAfter - 1]) {
    endBefore--;
    endAfter--;
  }
  const head = before.slice(0, start).map((line): LineEdit => ({ op: ' ', line }));
  const tail = before.slice(endBefore).map((line): LineEdit => ({ op: ' ', line }));
  return [...head, ...myers(before.slice(start, endBefore), after.slice(start, endAfter)), ...tail];
}

/** The most trace cells (4 bytes each) one diff may hold. */
const MAX_TRACE_CELLS = 16_000_000;

function myers(a: readonly string[], b: readonly string[]): LineEdit[] {
  const n = a.length;
  const m = b.length;
  if (n === 0) return b.map((line) => ({ op: '+', line }));
  if (m === 0) return a.map((line) => ({ op: '-', line }));
  const max = n + m;
  const offset = max;
  let v = new Int32Array(2 * max + 2);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    // The trace grows by one array per edit; past this size, a plain replacement reads no worse.
    if ((d + 1) * v.length > MAX_TRACE_CELLS) return [...a.map((line): LineEdit => ({ op: '-', line })), ...b.map((line): LineEdit => ({ op: '+', line }))];
    trace.push(v.slice());
    const next = v.slice();
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]) ? v[offset + k + 1] : v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      next[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
    v = next;
  }
  // Walk the trace back from the end, one edit per step.
  const edits: LineEdit[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d > 0; d--) {
    const previous = trace[d];
    const k = x - y;
    const down = k === -d || (k !== d && previous[offset + k - 1] < previous[offset + k + 1]);
    const prevK = down ? k + 1 : k - 1;
    const prevX = previous[offset + prevK];
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) edits.push({ op: ' ', line: a[--x] }), y--;
    if (down) edits.push({ op: '+', line: b[--y] });
    else edits.push({ op: '-', line: a[--x] });
  }
  while (x > 0 && y > 0) edits.push({ op: ' ', line: a[--x] }), y--;
  return edits.reverse();
}

/**
 * A unified diff (`---`/`+++` header, `@@` hunks with `context` lines around each change) of two texts,
 * or `''` when they are equal. A missing final newline is not reported: manifests are compared as lines.
 */
export function unifiedDiff(options: { before: string; after: string; beforeLabel: string; afterLabel: string; context?: number }): string {
  const context = Math.max(0, options.context ?? 3);
  const split = (text: string) => (text === '' ? [] : text.replace(/\n$/, '').split('\n'));
  const edits = diffLines(split(options.before), split(options.after));
  if (edits.every((edit) => edit.op === ' ')) return '';
  const lines = [`--- ${options.beforeLabel}`, `+++ ${options.afterLabel}`];
  // Line numbers (1-based) of each edit in the old and the new text.
  const positions: Array<{ old: number; new: number }> = [];
  let oldLine = 1;
  let newLine = 1;
  for (const edit of edits) {
    positions.push({ old: oldLine, new: newLine });
    if (edit.op !== '+') oldLine++;
    if (edit.op !== '-') newLine++;
  }
  let index = 0;
  while (index < edits.length) {
    while (index < edits.length && edits[index].op === ' ') index++;
    if (index >= edits.length) break;
    const first = Math.max(0, index - context);
    let last = index;
    // Extend the hunk while the next change lies within two contexts of the last one.
    for (let probe = index; probe < edits.length; probe++) {
      if (edits[probe].op !== ' ') last = probe;
      else if (probe - last > 2 * context) break;
    }
    const end = Math.min(edits.length - 1, last + context);
    const hunk = edits.slice(first, end + 1);
    const oldCount = hunk.filter((edit) => edit.op !== '+').length;
    const newCount = hunk.filter((edit) => edit.op !== '-').length;
    const oldStart = oldCount === 0 ? positions[first].old - 1 : positions[first].old;
    const newStart = newCount === 0 ? positions[first].new - 1 : positions[first].new;
    lines.push(`@@ -${oldStart},${oldCount} +${newStart},${newCount} @@`);
    for (const edit of hunk) lines.push(`${edit.op}${edit.line}`);
    index = end + 1;
  }
  return `${lines.join('\n')}\n`;
}
