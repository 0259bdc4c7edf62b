// Top self-time functions of a V8 .cpuprofile (from node --cpu-prof).
//   node tools/bench/profile-summary.mjs <file.cpuprofile> [top=25]
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
const prof = JSON.parse(readFileSync(file, 'utf8'));
const self = new Map();
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const dt = new Map();
for (let i = 0; i < prof.samples.length; i++)
  dt.set(prof.samples[i], (dt.get(prof.samples[i]) ?? 0) + (prof.timeDeltas[i] ?? 0));
let total = 0;
for (const [id, t] of dt) {
  const n = byId.get(id);
  const f = n.callFrame;
  const where = f.url ? `${f.url.replace(/^.*\/(node_modules|apps|libs)\//, '$1/')}:${f.lineNumber + 1}` : '';
  const name = `${f.functionName || '(anonymous)'} ${where}`.trim();
  self.set(name, (self.get(name) ?? 0) + t);
  total += t;
}
const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg ?? 25));
for (const [name, t] of rows) console.log(`${((100 * t) / total).toFixed(1).padStart(5)} %  ${name}`);
