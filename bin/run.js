#!/usr/bin/env node
// CommonJS (bin/package.json): an ES module entry would start Node's ES module
// loader, a few milliseconds of every command's start-up.
require('../dist/boot.cjs').boot(__filename)
