// Keeps the CloudFront Function sources inside what CloudFront Functions accept.
//
// CloudFront rejects function code over 10 KB, and runtime 2.0 supports ES 5.1 plus a listed
// subset of later features (const/let, arrow functions, template literals, rest parameters,
// top-level async/await; "async arguments and closures are not supported"). Anything outside
// that list fails at publish time or, worse, at the edge, so it is refused here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { CUTOVER_JS, importsOf, SPA_FALLBACK_JS } from './harness.mjs';

const MAX_CODE_BYTES = 10 * 1024;
const ALLOWED_MODULES = new Set(['cloudfront', 'crypto']);

// Syntax and APIs outside runtime 2.0's documented feature list.
const FORBIDDEN = [
  [/\?\./, 'optional chaining (?.)'],
  [/\?\?/, 'nullish coalescing (??)'],
  [/\.\.\./, 'spread/rest in literals or calls'],
  [/\bclass\b/, 'classes'],
  [/\bfunction\s*\*/, 'generators'],
  [/\bfor\s*\([^)]*\bof\b/, 'for...of'],
  [/\b(?:const|let|var)\s*[[{]/, 'destructuring'],
  [/\bexport\b/, 'export (a function file is not an importable module)'],
  [/\brequire\s*\(/, 'require()'],
  [/\bimport\s*\(/, 'dynamic import()'],
  [/\beval\s*\(|\bnew\s+Function\b/, 'dynamic code evaluation'],
  [/\bset(?:Timeout|Interval|Immediate)\b/, 'timers'],
  [/\bPromise\s*\.\s*(?:all|any|race|allSettled)\b|\.then\s*\(|\.catch\s*\(/, 'promise combinators and chains'],
  [/=>\s*\{?\s*await\b|\basync\s*\(|\basync\s+\w+\s*=>/, 'async closures'],
];

// Comments and string contents are not code: blank them so prose cannot trip the checks.
function codeOnly(source) {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\/\/[^\n]*/g, '')
    .replace(/'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|`(?:\\.|[^`\\])*`/g, "''");
}

for (const file of [CUTOVER_JS, SPA_FALLBACK_JS]) {
  const name = path.basename(file);
  const source = readFileSync(file, 'utf8');

  test(`${name} is under CloudFront's 10 KB code limit`, () => {
    const size = statSync(file).size;
    assert.ok(size < MAX_CODE_BYTES, `${name} is ${size} bytes`);
  });

  test(`${name} imports only CloudFront runtime modules`, () => {
    for (const { module } of importsOf(source)) {
      assert.ok(ALLOWED_MODULES.has(module), `${name} imports ${module}`);
    }
  });

  test(`${name} declares a top-level handler and parses as a module`, () => {
    assert.match(source, /^(?:async )?function handler\(event\) \{$/m);
    const dir = mkdtempSync(path.join(tmpdir(), 'cf-function-'));
    const copy = path.join(dir, 'function.mjs');
    writeFileSync(copy, source);
    execFileSync(process.execPath, ['--check', copy]);
  });

  test(`${name} uses runtime 2.0 features only`, () => {
    const code = codeOnly(source);
    for (const [pattern, feature] of FORBIDDEN) {
      assert.doesNotMatch(code, pattern, `${name} uses ${feature}`);
    }
    const asyncFunctions = code.match(/\basync\b/g) || [];
    const topLevelHandler = /^async function handler\(/m.test(code) ? 1 : 0;
    assert.equal(asyncFunctions.length, topLevelHandler, `${name}: only the handler may be async`);
  });
}

test('the feature check catches what it is meant to catch', () => {
  const samples = {
    'const a = b?.c;': 'optional chaining (?.)',
    'const a = b ?? 1;': 'nullish coalescing (??)',
    'const { a } = b;': 'destructuring',
    'for (const a of b) {}': 'for...of',
    'class A {}': 'classes',
    'const f = async () => 1;': 'async closures',
    'p.then(f);': 'promise combinators and chains',
  };
  for (const [sample, feature] of Object.entries(samples)) {
    const hit = FORBIDDEN.find(([pattern]) => pattern.test(codeOnly(sample)));
    assert.ok(hit, `${sample} was not caught`);
    assert.equal(hit[1], feature);
  }
  assert.equal(FORBIDDEN.find(([p]) => p.test(codeOnly("// a?.b in a comment\nconst s = 'x ?? y';"))), undefined);
});
