// How long V8 takes to compile a bundle as an ES module, as the module loader does on a cold start
// (the source read beforehand, then ScriptCompiler::CompileModule through vm.SourceTextModule):
// the whole module is pre-parsed and its top level compiled; a function is compiled fully only when
// first run, so that is in the first event's time, not here. A fresh process per measurement, as a
// cold start is; this module's own compile has set the parser up, as invoke-once.mjs's does.
// Usage: node --experimental-vm-modules compile-once.mjs <bundle.mjs>   (prints {"compileMs": n})
import { readFileSync } from 'node:fs';
import { SourceTextModule } from 'node:vm';

const source = readFileSync(process.argv[2], 'utf8');
const start = performance.now();
new SourceTextModule(source, { identifier: process.argv[2] });
const compileMs = performance.now() - start;
process.stdout.write(`${JSON.stringify({ compileMs })}\n`);
