import { isMap, isPair, isScalar, type Document, type LineCounter, type Node } from 'yaml';

/** Finds the line of a value (or of the key that is missing/unknown) in a parsed YAML document. */
export class SourceMap {
  readonly #doc: Document;
  readonly #lines: LineCounter;

  constructor(doc: Document, lines: LineCounter) {
    this.#doc = doc;
    this.#lines = lines;
  }

  /** 1-based line and column of the deepest node on `path` that exists; with `key`, of that key in the mapping. */
  locate(path: readonly PropertyKey[], key?: string): { line: number; column: number } {
    for (let depth = path.length; depth >= 0; depth--) {
      const node = this.#nodeAt(path.slice(0, depth));
      if (!node) continue;
      if (depth === path.length && key !== undefined && isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
        const keyNode = pair?.key as Node | undefined;
        if (keyNode?.range) return this.#position(keyNode.range[0]);
      }
      if (node.range) return this.#position(node.range[0]);
    }
    return { line: 1, column: 1 };
  }

  #nodeAt(path: readonly PropertyKey[]): Node | undefined {
    if (path.length === 0) return (this.#doc.contents as Node | null) ?? undefined;
    const node = this.#doc.getIn(path as unknown[], true);
    return node && typeof node === 'object' && 'range' in node ? (node as Node) : undefined;
  }

  #position(offset: number): { line: number; column: number } {
    const { line, col } = this.#lines.linePos(offset);
    return { line, column: col };
  }
}
