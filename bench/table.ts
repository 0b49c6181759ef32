// The top README's benchmark table from a saved run: the date, load and command, then one line per
// suite (the same table `npm run bench` prints at the end).
//
//   npm run bench -- --json .bench/results.json && node --import tsx bench/table.ts .bench/results.json
import { readFileSync } from 'node:fs';
import { preamble, table, type Results } from './format.ts';

const file = process.argv[2];
if (!file) {
  console.error('usage: node --import tsx bench/table.ts RESULTS.json   (written by npm run bench -- --json RESULTS.json)');
  process.exit(2);
}
const res = JSON.parse(readFileSync(file, 'utf8')) as Results | unknown[];
if (Array.isArray(res) || res.format !== 2) {
  console.error(`${file}: not a results file of the interleaved bench (format 2); rerun npm run bench -- --json ${file}`);
  process.exit(1);
}
const quick = res.quick ? '\n\n(--quick: 3 rounds a row; not for the README)' : '';
console.log(`${preamble(res)}${quick}\n\n${table(res.rows, res.repeat)}`);
