// Loads a CloudFront Function file under Node, as the edge tests and the local edge run it.
//
// The function source is evaluated as-is apart from its import lines, in strict mode like a
// module, with the modules the caller provides (a stand-in for `cloudfront`; Node's `crypto`,
// which implements the createHash/digest calls the runtime offers) and Node's Buffer.
import { readFileSync } from 'node:fs';

const IMPORT_LINE = /^import (\w+) from '([\w-]+)';$/gm;

export function importsOf(source) {
  return [...source.matchAll(IMPORT_LINE)].map((m) => ({ name: m[1], module: m[2] }));
}

/** Compile a function file with the given modules; returns its `handler`. */
export function loadHandler(file, modules) {
  const source = readFileSync(file, 'utf8');
  const imports = importsOf(source);
  for (const { name, module } of imports) {
    if (!(module in modules)) {
      throw new Error(`${file} imports '${module}', which the harness does not provide`);
    }
    if (name !== module && !(module === 'cloudfront' && name === 'cf')) {
      throw new Error(`unexpected binding ${name} for '${module}'`);
    }
  }
  const body = source.replace(IMPORT_LINE, '');
  const names = imports.map((i) => i.name);
  const factory = new Function(...names, 'Buffer', `'use strict';\n${body}\nreturn handler;`);
  return factory(...imports.map((i) => modules[i.module]), Buffer);
}
