/**
 * A `deno lint` rule for issue 14's convention: a function in controller/ or cli/ longer than 60 lines says
 * why in its doc comment, with the words "Over 60 lines because". Loaded by deno.json's `lint.plugins`;
 * tests/lint_rules_test.ts runs it on examples.
 */
const LIMIT = 60;
const PHRASE = "Over 60 lines because";
/** The folders the rule applies to (the controller's and the CLI's code, not their tests). */
const SCOPE = /(^|\/)(controller|cli)\/[^/]+\.ts$/;

/** The few fields of the lint AST this rule reads. */
interface FunctionNode {
  parent?: FunctionNode;
  type: string;
}

/** Where the function's declaration starts: a method's or an export's node, so its doc comment is just above. */
function declarationOf(node: FunctionNode): FunctionNode {
  let n = node;
  while (
    n.parent &&
    [
      "MethodDefinition",
      "ExportNamedDeclaration",
      "ExportDefaultDeclaration",
      "VariableDeclarator",
      "VariableDeclaration",
      "PropertyDefinition",
    ].includes(n.parent.type)
  ) n = n.parent;
  return n;
}

const plugin: Deno.lint.Plugin = {
  name: "ksit",
  rules: {
    "long-function-says-why": {
      create(context) {
        if (!SCOPE.test(context.filename.replaceAll("\\", "/")) || context.filename.endsWith("_test.ts")) {
          return {};
        }
        const source = context.sourceCode;
        const check = (node: Deno.lint.Node) => {
          const lines = source.getText(node).split("\n").length;
          if (lines <= LIMIT) return;
          // the doc comment just above the declaration (a method's, an export's, a const's)
          const declaration = declarationOf(node as unknown as FunctionNode) as unknown as Deno.lint.Node;
          const doc = source.getCommentsBefore(declaration).at(-1);
          // only the comment right above it (nothing but blank space between), not one of an earlier function
          const gap = doc &&
            source.getText({ range: [doc.range[1], declaration.range[0]] } as Deno.lint.Node);
          if (doc && gap !== undefined && !gap.trim() && doc.value.includes(PHRASE)) return;
          context.report({
            node,
            message: `${lines} lines: a function over ${LIMIT} lines here says why`,
            hint: `split it into its steps, or say "${PHRASE} …" in its doc comment`,
          });
        };
        return { FunctionDeclaration: check, FunctionExpression: check, ArrowFunctionExpression: check };
      },
    },
  },
};

export default plugin;
