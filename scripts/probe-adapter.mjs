// Prints the WebGPU adapter Dawn finds, or exits 1. Used by scripts/setup.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = mkdtempSync(join(tmpdir(), 'kiln-xdg-'));
const { create, globals } = await import('webgpu');
Object.assign(globalThis, globals);
const gpu = create([]);
const adapter = await gpu.requestAdapter();
if (!adapter) { console.error('no WebGPU adapter'); process.exit(1); }
const info = adapter.info ?? {};
console.log(`[setup] adapter: ${info.vendor ?? '?'} ${info.description || info.device || info.architecture || ''}`.trim());
process.exit(0);
