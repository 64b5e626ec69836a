#!/usr/bin/env node
// The CLI runs from a single bundled file: loading one module instead of hundreds keeps
// `hearth <command>` quick.
import '../dist/hearth.mjs';
