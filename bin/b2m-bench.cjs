#!/usr/bin/env node
// `npm run bench -- <name>`: measured speed of the project's engines next to a reference, in one run.
'use strict'
require('tsx/cjs/api').register()
require('../tests/bench/main.ts')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code
  })
