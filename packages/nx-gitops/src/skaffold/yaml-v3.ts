import type { Alias, Document, LineCounter, Node as YamlNode, Pair, YAMLMap } from 'yaml';
import { GitopsError } from '../lib/errors';
import { type BudgetRefusal, DecodeBudget } from '../manifests/yaml-limits';
import type { FieldPath } from './strict-fields';

/**
 * Decoding of a skaffold.yaml document with the semantics of gopkg.in/yaml.v3, which skaffold decodes with,
 * on top of the `yaml` package's syntax tree (parsed with merge keys off, so that `<<` reaches us as a key):
 *
 * - merge keys: `<<: *a`, `<<: {…}` and `<<: [*a, *b]` add the keys of the merged mappings that the mapping
 *   does not set itself; of several merged mappings the earlier wins; the merge is shallow;
 * - aliases are expanded, bounded as yaml.v3 bounds them ("excessive aliasing") and by the reading policy
 *   of every file (`manifests/yaml-limits.ts`: alias count, nesting depth), and an anchor that contains an
 *   alias to itself is refused;
 * - every error names the file, line and column.
 *
 * {@link yamlV3OffsetOf} finds where a decoded path came from, through aliases and merge keys, so that
 * errors found in the decoded value point at the text that wrote it.
 */

type Yaml = typeof import('yaml');

function yamlModule(): Yaml {
  return require('yaml') as Yaml;
}

/** Where each alias of a document points: the closest anchor of that name before it, as YAML defines. */
function aliasTargets(document: Document): Map<Alias, YamlNode> {
  const { isAlias, isNode, visit } = yamlModule();
  const anchors = new Map<string, YamlNode>();
  const targets = new Map<Alias, YamlNode>();
  visit(document, {
    Node: (_key, node) => {
      if (isAlias(node)) {
        const target = anchors.get(node.source);
        if (target) targets.set(node, target);
      } else if (isNode(node) && node.anchor) {
        anchors.set(node.anchor, node);
      }
    },
  });
  return targets;
}

/** True for a plain, untagged `<<` key (a quoted "<<" is an ordinary key, in yaml.v3 as in YAML 1.1). */
function isMergeKey(key: unknown): boolean {
  const { isScalar } = yamlModule();
  return isScalar(key) && key.value === '<<' && key.type === 'PLAIN' && (!key.tag || key.tag === 'tag:yaml.org,2002:merge');
}

/** The string a mapping key decodes to (skaffold's mappings are keyed by strings). */
function keyString(key: unknown): string {
  const { isScalar } = yamlModule();
  if (isScalar(key)) return String(key.value);
  return String(key);
}

/** Options for {@link decodeYamlV3Document}. */
export interface DecodeYamlV3Options {
  document: Document;
  lineCounter: LineCounter;
  /** The file, for error messages. */
  file: string;
}

/**
 * The value of one parsed document as yaml.v3 decodes it into generic maps (as skaffold's
 * removeYamlAnchors does before its strict decode): merge keys resolved, aliases expanded within yaml.v3's
 * budget and the limits of `manifests/yaml-limits.ts`. Fails with a {@link GitopsError} at the offending node.
 */
export function decodeYamlV3Document(options: DecodeYamlV3Options): unknown {
  const { isAlias, isMap, isScalar, isSeq } = yamlModule();
  const { document, lineCounter, file } = options;
  const targets = aliasTargets(document);
  const expanding = new Set<Alias>();
  const budget = new DecodeBudget();

  const fail = (node: unknown, message: string, hint: string): never => {
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    const where = range ? `${file}:${lineCounter.linePos(range[0]).line}:${lineCounter.linePos(range[0]).col}` : file;
    throw new GitopsError(`${where}: ${message}`, { hint });
  };

  const check = (node: unknown, refusal: BudgetRefusal | undefined): void => {
    if (refusal) fail(node, `${refusal.reason}.`, refusal.hint);
  };
  const count = (node: unknown): void => check(node, budget.node());

  const follow = (alias: Alias): YamlNode => {
    const target = targets.get(alias);
    if (!target) return fail(alias, `unknown anchor "${alias.source}".`, `Define "&${alias.source}" before "*${alias.source}".`);
    if (expanding.has(alias)) return fail(alias, `anchor "${alias.source}" contains an alias to itself.`, 'An anchored node cannot refer to itself.');
    return target;
  };

  const withAlias = <T>(alias: Alias, body: (target: YamlNode) => T): T => {
    const target = follow(alias);
    check(alias, budget.enterAlias());
    expanding.add(alias);
    try {
      return body(target);
    } finally {
      budget.leaveAlias();
      expanding.delete(alias);
    }
  };

  const mergeSources = (pair: Pair): YamlNode[] => {
    const value = pair.value;
    const wantMap = (node: unknown): never =>
      fail(node, 'a merge key ("<<") takes a mapping, an alias of a mapping, or a list of those.', 'Point "<<" at an anchored mapping, e.g. "<<: *defaults".');
    const checked = (node: unknown): YamlNode => {
      const target = isAlias(node) ? targets.get(node) : node;
      if (isAlias(node) && !target) follow(node);
      if (!isMap(target)) wantMap(node);
      return node as YamlNode;
    };
    if (isSeq(value)) return value.items.map(checked);
    return [checked(value)];
  };

  // Adds to `into` the keys of `map` that it does not have yet: explicit keys first, then merged ones, so
  // that a mapping's own keys win over merged keys and an earlier merged mapping over a later one.
  const mergeInto = (into: Map<string, unknown>, map: YAMLMap): void => {
    const merges: Pair[] = [];
    for (const pair of map.items) {
      if (isMergeKey(pair.key)) {
        merges.push(pair);
        continue;
      }
      count(pair.key);
      const key = keyString(pair.key);
      if (into.has(key)) continue;
      into.set(key, decode(pair.value));
    }
    for (const pair of merges) {
      for (const source of mergeSources(pair)) {
        count(source);
        if (isAlias(source)) withAlias(source, (target) => mergeInto(into, target as YAMLMap));
        else mergeInto(into, source as YAMLMap);
      }
    }
  };

  const decode = (node: unknown): unknown => {
    if (node === null || node === undefined) return null;
    count(node);
    if (isAlias(node)) return withAlias(node, (target) => decode(target));
    if (isScalar(node)) return node.value ?? null;
    if (isSeq(node)) {
      check(node, budget.enterCollection());
      const items = node.items.map((item) => decode(item));
      budget.leaveCollection();
      return items;
    }
    if (isMap(node)) {
      check(node, budget.enterCollection());
      const entries = new Map<string, unknown>();
      mergeInto(entries, node as YAMLMap);
      budget.leaveCollection();
      return Object.fromEntries(entries);
    }
    return fail(node, 'unsupported YAML node.', 'Write the value as a mapping, a list or a scalar.');
  };

  return decode(document.contents);
}

/** The key and value node a path leads to in a mapping, looking through its merge keys as decoding does. */
function findEntry(map: YAMLMap, key: string, targets: Map<Alias, YamlNode>, seen: Set<YAMLMap>): Pair | undefined {
  const { isAlias, isMap, isSeq } = yamlModule();
  if (seen.has(map)) return undefined;
  seen.add(map);
  const merges: Pair[] = [];
  for (const pair of map.items) {
    if (isMergeKey(pair.key)) merges.push(pair);
    else if (keyString(pair.key) === key) return pair;
  }
  for (const pair of merges) {
    const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
    for (const source of sources) {
      const target = isAlias(source) ? targets.get(source) : source;
      if (!isMap(target)) continue;
      const found = findEntry(target as YAMLMap, key, targets, seen);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * The source offset of what a path of the decoded document came from (its key with `atKey`), following
 * aliases to their anchors and keys to the merged mapping that wrote them; the closest existing ancestor
 * when the path goes further than the text.
 */
export function yamlV3OffsetOf(options: { document: Document; path: FieldPath; atKey?: boolean }): number | undefined {
  const { isAlias, isMap, isSeq } = yamlModule();
  const targets = aliasTargets(options.document);
  const rangeOf = (node: unknown): number | undefined => (node as { range?: [number, number, number] } | undefined)?.range?.[0];
  let node: unknown = options.document.contents;
  let offset = rangeOf(node);
  for (const [index, segment] of options.path.entries()) {
    while (isAlias(node)) node = targets.get(node);
    let next: unknown;
    let keyNode: unknown;
    if (isMap(node)) {
      const pair = findEntry(node as YAMLMap, String(segment), targets, new Set());
      next = pair?.value;
      keyNode = pair?.key;
    } else if (isSeq(node) && typeof segment === 'number') {
      next = node.items[segment];
    }
    const last = index === options.path.length - 1;
    const found = last && options.atKey && keyNode !== undefined ? rangeOf(keyNode) : (rangeOf(next) ?? rangeOf(keyNode));
    if (found === undefined) return offset;
    offset = found;
    node = next;
  }
  return offset;
}
