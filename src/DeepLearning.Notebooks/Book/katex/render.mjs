// Renders the book's formulas with KaTeX at build time, all in one process (node start-up dominates per-call cost).
// stdin: a JSON array of {"tex": "...", "display": true|false}; stdout: a JSON array, in the same order, of
// {"html": "..."} or {"error": "KaTeX's message"}. A bad formula never stops the others: the book builder names
// every one with its notebook and cell.
import katex from "katex";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const formulas = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const results = formulas.map(({ tex, display }) => {
  try {
    // throwOnError: bad TeX is an error, not red text on the page; strict "ignore": KaTeX's style warnings
    // (e.g. Unicode in math mode) would only be console noise, the output is still correct.
    return { html: katex.renderToString(tex, { displayMode: display, throwOnError: true, strict: "ignore", output: "htmlAndMathml" }) };
  } catch (e) {
    return { error: e instanceof katex.ParseError ? e.message : String(e) };
  }
});
process.stdout.write(JSON.stringify(results));
