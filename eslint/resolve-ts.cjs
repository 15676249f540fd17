/**
 * A minimal import resolver (eslint-module-utils interface v2) for this repository's
 * NodeNext TypeScript: a relative `./x.js` import names `./x.ts` on disk. Everything
 * else (packages, node: built-ins) goes to eslint-import-resolver-node. Used by
 * eslint-plugin-boundaries to classify the file an import points to.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const nodeResolver = require('eslint-import-resolver-node');

exports.interfaceVersion = 2;

exports.resolve = function resolve(source, file, config) {
  if (source.startsWith('.')) {
    const target = path.resolve(path.dirname(file), source);
    const candidates = [target.replace(/\.js$/, '.ts'), target, `${target}.ts`, path.join(target, 'index.ts')];
    for (const candidate of candidates) {
      if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return { found: true, path: candidate };
    }
    return { found: false };
  }
  return nodeResolver.resolve(source, file, config ?? {});
};
