// Prints the WebGPU adapter Dawn finds, or exits 1. Used by scripts/setup.
import { mkdirSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
if (!process.env.XDG_RUNTIME_DIR) { const d = join(tmpdir(), `kiln-xdg-${userInfo().uid}`); mkdirSync(d, { recursive: true, mode: 0o700 }); process.env.XDG_RUNTIME_DIR = d; }
const { create, globals } = await import('webgpu');
Object.assign(globalThis, globals);
const gpu = create([]);
const adapter = await gpu.requestAdapter();
if (!adapter) { console.error('no WebGPU adapter'); process.exit(1); }
const info = adapter.info ?? {};
console.log(`[setup] adapter: ${info.vendor ?? '?'} ${info.description || info.device || info.architecture || ''}`.trim());
process.exit(0);
