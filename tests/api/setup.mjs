// The API tests' fixture (ctest api_setup): checks that the `openai` client is installed and
// makes the test model in the build tree, once, before the test files start servers on it.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
if (!fs.existsSync(path.join(here, 'node_modules', 'openai', 'package.json'))) {
  console.error('tests/api: the openai client is not installed: run (cd tests/api && npm ci)');
  process.exit(1);
}
// Imported only now: the harness imports `openai`.
const { MODEL, ensureModel } = await import('./lib/harness.mjs');
const t0 = performance.now();
ensureModel();
console.log(`test model ready: ${MODEL} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
