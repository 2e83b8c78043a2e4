/**
 * Just enough markdown for the docs tests: fenced code blocks (with the HTML comment right before them, which
 * marks what a test does with a block), inline code spans, links, and the anchors a page offers (explicit
 * `<a id>` and GitHub's heading slugs).
 */

export interface CodeBlock {
  /** The info string: `sh`, `yaml`, `` (none). */
  lang: string;
  /** The HTML comment on the line before the fence (blank lines between allowed), without `<!-- -->`. */
  marker?: string;
  /** 1-based line of the opening fence. */
  line: number;
  text: string;
}

export function codeBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split("\n");
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(```+|~~~+)\s*([\w-]*)/.exec(lines[i]!);
    if (!open) continue;
    const fence = open[2]!;
    let marker: string | undefined;
    for (let j = i - 1; j >= 0 && marker === undefined; j--) {
      const l = lines[j]!.trim();
      if (l === "") continue;
      marker = /^<!--\s*(.*?)\s*-->$/.exec(l)?.[1] ?? "";
    }
    const body: string[] = [];
    let k = i + 1;
    for (; k < lines.length && lines[k]!.trim() !== fence; k++) body.push(lines[k]!);
    blocks.push({ lang: open[3] ?? "", ...(marker ? { marker } : {}), line: i + 1, text: body.join("\n") });
    i = k;
  }
  return blocks;
}

/** The text outside fenced code blocks (their lines left empty). */
export function prose(markdown: string): string {
  const lines = markdown.split("\n");
  let fence: string | undefined;
  return lines.map((l) => {
    const f = /^\s*(```+|~~~+)/.exec(l)?.[1];
    if (fence === undefined && f) {
      fence = f;
      return "";
    }
    if (fence !== undefined) {
      if (l.trim() === fence) fence = undefined;
      return "";
    }
    return l;
  }).join("\n");
}

/** Inline code spans of the prose (a span may wrap across a line break). */
export function inlineCode(markdown: string): string[] {
  return [...prose(markdown).matchAll(/(?<!`)`([^`]+)`(?!`)/g)].map((m) => m[1]!.replace(/\s*\n\s*/g, " "));
}

/** `[text](target)` links of the prose. */
export function links(markdown: string): string[] {
  return [...prose(markdown).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function headingSlug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-");
}

/** Every anchor of a page: `<a id="…">` and heading slugs (duplicates get -1, -2 as on GitHub). */
export function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  for (const m of markdown.matchAll(/<a id="([^"]+)"><\/a>/g)) out.add(m[1]!);
  const seen = new Map<string, number>();
  for (const m of prose(markdown).matchAll(/^#{1,6} (.+)$/gm)) {
    const slug = headingSlug(m[1]!);
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n ? `${slug}-${n}` : slug);
  }
  return out;
}

/**
 * The `kubectl ksit …` commands of a page: each line of its code blocks that runs one (after an optional
 * `$ ` prompt), and each inline code span that starts with one. Trailing comments, pipes and redirections
 * are cut off.
 */
export function ksitCommands(markdown: string): { command: string; inline: boolean }[] {
  const out: { command: string; inline: boolean }[] = [];
  const clean = (s: string) => s.replace(/\s+#.*$/, "").split(/\s+(?:\||&&|>|2>&1)\s*/)[0]!.trim();
  for (const b of codeBlocks(markdown)) {
    for (const l of b.text.split("\n")) {
      const m = /^\s*(?:\$\s+)?(kubectl ksit\b.*)$/.exec(l);
      if (m) out.push({ command: clean(m[1]!), inline: false });
    }
  }
  for (const span of inlineCode(markdown)) {
    if (span.startsWith("kubectl ksit ")) out.push({ command: clean(span), inline: true });
  }
  return out;
}
