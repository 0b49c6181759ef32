// Device acquisition: navigator.gpu in a browser, dawn.node (npm `webgpu`) in Node.

export interface DeviceInfo {
  adapter: string;
  vendor: string;
  architecture: string;
  backend: string;
  isSoftware: boolean;
  features: { f16: boolean; subgroups: boolean; timestampQuery: boolean };
  limits: Record<string, number>;
}

export interface AcquiredDevice {
  device: GPUDevice;
  adapter: GPUAdapter;
  info: DeviceInfo;
}

export class KilnDeviceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KilnDeviceError';
  }
}

const NO_ADAPTER_HELP =
  'kiln: no WebGPU adapter found. Dawn needs a Vulkan (Linux), Metal (macOS) or D3D12 (Windows) driver.\n' +
  'On Linux without a GPU install Mesa\'s software Vulkan driver, lavapipe, version 25 or newer:\n' +
  '  Debian bookworm (as root): enable bookworm-backports, then `apt-get install -t bookworm-backports mesa-vulkan-drivers`\n' +
  '  or run `npm run setup` (scripts/setup) from the kiln repository, which does this for you.\n' +
  'Bookworm\'s own Mesa 22 is too old (Dawn rejects it: "shaderUniform*ArrayDynamicIndexing required").';

const LIMIT_KEYS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
  'maxUniformBufferBindingSize',
] as const;

async function nodeGpu(): Promise<GPU> {
  const proc = (globalThis as { process?: NodeJS.Process }).process;
  if (proc?.env && !proc.env.XDG_RUNTIME_DIR) {
    // Dawn's Vulkan loader wants a runtime dir; make a private one rather than fail.
    const { mkdirSync } = await import('node:fs');
    const { tmpdir, userInfo } = await import('node:os');
    const { join } = await import('node:path');
    const dir = join(tmpdir(), `kiln-xdg-${userInfo().uid}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    proc.env.XDG_RUNTIME_DIR = dir;
  }
  let mod: { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
  try {
    const name = 'webgpu';
    mod = await import(/* @vite-ignore */ name);
  } catch (e) {
    throw new KilnDeviceError(
      `kiln: cannot load dawn.node from the npm package "webgpu" (${(e as Error).message}). Install it: npm install webgpu`,
    );
  }
  Object.assign(globalThis, mod.globals);
  // dawn.node's adapters and devices do not keep their instance alive: if the GPU object is
  // garbage-collected, Dawn tears down under running work (segfaults in the Vulkan driver).
  NODE_GPU ??= mod.create([]);
  return NODE_GPU;
}

let NODE_GPU: GPU | null = null;

export async function acquireDevice(opts: { powerPreference?: GPUPowerPreference } = {}): Promise<AcquiredDevice> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  const inNode = typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';
  let gpu: GPU | undefined = nav?.gpu;
  if (!gpu && inNode) gpu = await nodeGpu();
  if (!gpu) throw new KilnDeviceError('kiln: this browser has no navigator.gpu (WebGPU). Use a browser with WebGPU enabled.');
  const adapter = await gpu.requestAdapter({ powerPreference: opts.powerPreference ?? 'high-performance' });
  if (!adapter) throw new KilnDeviceError(NO_ADAPTER_HELP);

  const requiredFeatures: GPUFeatureName[] = [];
  for (const f of ['shader-f16', 'subgroups', 'timestamp-query'] as GPUFeatureName[]) {
    if (adapter.features.has(f)) requiredFeatures.push(f);
  }
  const requiredLimits: Record<string, number> = {};
  for (const k of LIMIT_KEYS) requiredLimits[k] = (adapter.limits as unknown as Record<string, number>)[k];
  const device = await adapter.requestDevice({ requiredFeatures, requiredLimits });

  const ai = adapter.info ?? ({} as GPUAdapterInfo);
  const desc = ai.description || ai.device || '';
  const limits: Record<string, number> = {};
  for (const k of LIMIT_KEYS) limits[k] = (device.limits as unknown as Record<string, number>)[k];
  const backend = inNode && !nav?.gpu ? 'dawn.node (Vulkan/Metal/D3D12)' : 'browser navigator.gpu';
  const info: DeviceInfo = {
    adapter: desc || `${ai.vendor ?? 'unknown'} ${ai.architecture ?? ''}`.trim(),
    vendor: ai.vendor ?? '',
    architecture: ai.architecture ?? '',
    backend,
    isSoftware: /llvmpipe|lavapipe|swiftshader/i.test(`${desc} ${ai.vendor} ${ai.architecture}`),
    features: {
      f16: device.features.has('shader-f16'),
      subgroups: device.features.has('subgroups'),
      timestampQuery: device.features.has('timestamp-query'),
    },
    limits,
  };
  return { device, adapter, info };
}
