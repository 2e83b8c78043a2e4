/**
 * Reads the YAML that kubeconfig files are written in — block mappings and block sequences of plain, `'…'`
 * and `"…"` scalars, `{}` and `[]`, comment lines — without the yaml package, so `kubectl ksit status` starts
 * without loading it (cli/yaml_lazy.ts). kubectl, client-go, kind and the cloud CLIs write kubeconfigs so.
 *
 * For anything else it returns undefined and the caller parses the text with the yaml package: flow
 * collections, anchors, aliases, tags, block scalars, multi-line or escaped scalars, comments after a value,
 * numbers, tabs, document markers, duplicate keys, a top level that is not a mapping. For every text it
 * reads, it returns what the yaml package's `parse` returns (cli/kubeconfig_yaml_test.ts compares the two on
 * real kubeconfigs and thousands of mutations of them).
 */

interface Line {
  indent: number;
  text: string;
}

const DECLINE = Symbol("decline");

function decline(): never {
  throw DECLINE;
}

// a mapping key followed by ":" and a space or the end of the line
const KEY = /^([A-Za-z_][A-Za-z0-9_./-]*):(?: +(.*))?$/;
// the keys that the core schema reads as something else than a string, or that objects treat specially
const SPECIAL_KEY = /^(?:true|True|TRUE|false|False|FALSE|null|Null|NULL|__proto__)$/;
// printable characters that a plain or quoted scalar may hold as they are (no tabs, no control characters,
// no line or paragraph separators, no byte order mark)
const UNSUPPORTED_CHAR = /[^\n\x20-\x7e\xa0-\u2027\u202a-\ufefe\uff00-\ufffd]/;

const isItem = (text: string) => text === "-" || text.startsWith("- ");

function scalar(s: string): unknown {
  if (s === "{}") return {};
  if (s === "[]") return [];
  if (s.startsWith('"')) return /^"([^"\\]*)"$/.exec(s)?.[1] ?? decline();
  if (s.startsWith("'")) return /^'([^']*)'$/.exec(s)?.[1] ?? decline();
  // an indicator first (a plain scalar may start with "-" or "--" before a letter: "--region")
  if (/^[-?:,[\]{}#&*!|>%@`]/.test(s) && !/^--?[A-Za-z]/.test(s)) decline();
  if (s.includes(": ") || s.endsWith(":") || s.includes(" #")) decline();
  if (/^(?:~|null|Null|NULL)$/.test(s)) return null;
  if (/^(?:true|True|TRUE)$/.test(s)) return true;
  if (/^(?:false|False|FALSE)$/.test(s)) return false;
  // numbers, .inf, .nan and the like: the yaml package decides
  if (/^[+.0-9]/.test(s) || /^-[^A-Za-z-]/.test(s)) decline();
  return s;
}

class Reader {
  private pos = 0;
  constructor(private readonly lines: Line[]) {}

  document(): Record<string, unknown> {
    const first = this.lines[0];
    if (!first || first.indent !== 0 || isItem(first.text)) decline();
    const doc = this.mapping(0);
    if (this.pos !== this.lines.length) decline();
    return doc;
  }

  private node(indent: number): unknown {
    return isItem(this.lines[this.pos]!.text) ? this.sequence(indent) : this.mapping(indent);
  }

  private mapping(indent: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    while (this.pos < this.lines.length) {
      const line = this.lines[this.pos]!;
      if (line.indent < indent || (line.indent === indent && isItem(line.text))) break;
      if (line.indent > indent) decline();
      const m = KEY.exec(line.text) ?? decline();
      const key = m[1]!;
      if (SPECIAL_KEY.test(key) || Object.hasOwn(out, key)) decline();
      this.pos++;
      const rest = m[2] ?? "";
      if (rest !== "") {
        out[key] = scalar(rest); // a deeper line next (a continuation) is refused by the loop
        continue;
      }
      const next = this.lines[this.pos];
      if (next && next.indent > indent) out[key] = this.node(next.indent);
      else if (next && next.indent === indent && isItem(next.text)) out[key] = this.sequence(indent);
      else out[key] = null;
    }
    return out;
  }

  private sequence(indent: number): unknown[] {
    const out: unknown[] = [];
    while (this.pos < this.lines.length) {
      const line = this.lines[this.pos]!;
      if (line.indent < indent || (line.indent === indent && !isItem(line.text))) break;
      if (line.indent > indent) decline();
      const rest = line.text.slice(1);
      const text = rest.replace(/^ +/, "");
      if (text === "") {
        this.pos++;
        const next = this.lines[this.pos];
        out.push(next && next.indent > indent ? this.node(next.indent) : null);
      } else if (isItem(text)) {
        decline();
      } else if (KEY.test(text)) {
        // a mapping that starts on the item's line: its keys line up with the first one
        const column = indent + 1 + rest.length - text.length;
        this.lines[this.pos] = { indent: column, text };
        out.push(this.mapping(column));
      } else {
        this.pos++;
        out.push(scalar(text));
      }
    }
    return out;
  }
}

/** The kubeconfig text as data, when it is written in the YAML described above; else undefined. */
export function readKubeconfigYaml(text: string): unknown {
  if (UNSUPPORTED_CHAR.test(text)) return undefined;
  const lines: Line[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/ +$/, "");
    const body = line.replace(/^ +/, "");
    if (body === "" || body.startsWith("#")) continue;
    lines.push({ indent: line.length - body.length, text: body });
  }
  try {
    return new Reader(lines).document();
  } catch (e) {
    if (e === DECLINE || e instanceof RangeError) return undefined;
    throw e;
  }
}
