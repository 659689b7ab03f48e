#!/usr/bin/env node
// CommonJS (bin/package.json): an ES module entry would start Node's ES module
// loader, a few milliseconds of every command's start-up.
/* global require, __filename */
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('../dist/boot.cjs').boot(__filename)
