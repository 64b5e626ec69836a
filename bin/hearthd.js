#!/usr/bin/env node
import '../dist/hearthd.mjs';
