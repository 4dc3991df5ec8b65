// Worker threads started from source (CLI, serve, tests) need tsx to load the TypeScript worker.
// The electron-vite bundle starts out/main/job-worker.js instead and never reaches this file.
'use strict'
require('tsx/cjs/api').register()
require('./worker-entry.ts')
