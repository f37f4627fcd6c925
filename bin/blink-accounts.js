#!/usr/bin/env node
// Entry point of the `blink-accounts` CLI: runs the TypeScript sources through tsx,
// so a fresh clone needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('../operator/cli/main.ts');
