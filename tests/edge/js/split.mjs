// Prints the measured share of /api/* viewers sent to the new origin for a set of weights.
// Usage: node tests/edge/js/split.mjs [keys]   (make cutover-split)
import { loadCutover, measureShare } from './harness.mjs';

const keys = Number.parseInt(process.argv[2] ?? '10000', 10);
const weights = [1, 10, 30, 50, 99];

console.log(`share of ${keys.toLocaleString('en-US')} distinct viewers routed to the new origin`);
console.log('weight  by viewer IP  by token subject');
for (const weight of weights) {
  const loaded = loadCutover({ weight: String(weight), kill_switch: 'off' });
  const byIp = await measureShare(loaded, keys, 'ip');
  const bySubject = await measureShare(loaded, keys, 'sub');
  const pct = (share) => `${(share * 100).toFixed(2)}%`.padStart(12);
  console.log(`${String(weight).padStart(5)}%  ${pct(byIp)}  ${pct(bySubject).padStart(16)}`);
}
