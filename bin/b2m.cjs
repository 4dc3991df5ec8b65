#!/usr/bin/env node
// The `b2m` CLI runs the TypeScript core straight from source through tsx, so `npx b2m` works right
// after `npm ci` with no build step. The Electron app runs the same core from the electron-vite bundle.
'use strict'
require('tsx/cjs/api').register()
require('../src-main/cli/main.ts')
  .main(process.argv)
  .then((code) => {
    process.exitCode = code
  })
