// The GPU runtime: one device, a buffer pool, a pipeline cache, and batched command recording.
// Ops append dispatches to an open compute pass; a readback (`await t.data()`), `flush()`, a full
// uniform arena or a full batch submits.
import { acquireDevice, KilnDeviceError, type AcquiredDevice, type DeviceInfo } from './device.ts';
import { BufferPool } from './buffer_pool.ts';
import { preprocess, shaderSourceRaw, defineKey, type Defines } from './shader.ts';
import { checkNumericsProgram } from '../../kernels/check_numerics.ts';

export interface Program {
  /** shaders/<shader>.wgsl */
  shader: string;
  defines?: Defines;
  overrides?: Record<string, number>;
  /** workgroup counts; use grid() for 1-D work larger than 65535 workgroups */
  workgroups: [number, number?, number?];
  uniforms?: Uniforms;
  /** name shown by profile(); defaults to the shader name */
  label?: string;
}

/** Packs a uniform struct: scalars are 4-byte aligned, vec4s 16-byte aligned, as WGSL lays them out. */
export class Uniforms {
  private words: number[] = [];
  private kinds: number[] = []; // 0 u32, 1 i32, 2 f32
  u32(...v: number[]): this { for (const x of v) { this.words.push(x >>> 0); this.kinds.push(0); } return this; }
  i32(...v: number[]): this { for (const x of v) { this.words.push(x | 0); this.kinds.push(1); } return this; }
  f32(...v: number[]): this { for (const x of v) { this.words.push(x); this.kinds.push(2); } return this; }
  /** vec4<u32> values from an array, padded with `fill`; `count` vec4s. */
  vec4u(vals: readonly number[], count = Math.max(1, Math.ceil(vals.length / 4)), fill = 0): this {
    this.align(4);
    for (let i = 0; i < count * 4; i++) this.u32(i < vals.length ? vals[i] : fill);
    return this;
  }
  align(words: number): this { while (this.words.length % words) this.u32(0); return this; }
  get byteLength(): number { return Math.ceil(this.words.length / 4) * 16; }
  writeTo(view: DataView, offset: number): void {
    for (let i = 0; i < this.words.length; i++) {
      const k = this.kinds[i];
      if (k === 2) view.setFloat32(offset + 4 * i, this.words[i], true);
      else if (k === 1) view.setInt32(offset + 4 * i, this.words[i], true);
      else view.setUint32(offset + 4 * i, this.words[i], true);
    }
  }
}

/** Workgroup counts for `n` items in groups of `perGroup`, folded into 2-D past 65535. */
export function grid(n: number, perGroup: number, maxDim = 65535): [number, number] {
  const groups = Math.max(1, Math.ceil(n / perGroup));
  if (groups <= maxDim) return [groups, 1];
  const y = Math.ceil(groups / maxDim);
  return [Math.ceil(groups / y), y];
}

export interface ProfileEntry { kernel: string; ms: number }

/** A dispatch seen in a dry run (warmup): enough to build its pipeline ahead of time. */
export interface RecordedDispatch { program: Program; nIn: number; nOut: number }

const ARENA_BYTES = 1 << 18;
const UNIFORM_ALIGN = 256;
const MAX_DISPATCHES_PER_BATCH = 2048;
const QUERY_CAPACITY = 4096;
const MAX_BIND_GROUPS = 4096;

export class Engine {
  readonly device: GPUDevice;
  readonly adapter: GPUAdapter;
  readonly info: DeviceInfo;
  readonly pool: BufferPool;
  private pipelines = new Map<string, GPUComputePipeline>();
  private modules = new Map<string, GPUShaderModule>();
  private layouts = new Map<string, { bgl: GPUBindGroupLayout; pl: GPUPipelineLayout; sig: string }>();
  private programKeys = new WeakMap<Program, string>();
  private bindGroups = new Map<string, GPUBindGroup>();
  private bufferIds = new WeakMap<GPUBuffer, number>();
  private nextBufferId = 0;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private arena: GPUBuffer;
  private arenaCpu = new ArrayBuffer(ARENA_BYTES);
  private arenaView = new DataView(this.arenaCpu);
  private arenaUsed = 0;
  private dispatches = 0;
  private lostInfo: string | null = null;
  private firstError: string | null = null;
  /** Pipelines touched since the last call to takeUsedPipelines() (for warmup). */
  private used = new Set<GPUComputePipeline>();
  /** Stats for tests and `kiln info`. */
  stats = { dispatches: 0, submits: 0, pipelinesCompiled: 0, uploads: 0 };
  debugShaders = false;
  /**
   * Kernel choices that depend on the adapter kind. Software Vulkan runs a workgroup as SIMD loops
   * on CPU cores, where barriers are costly and per-lane streams are cheap; real GPUs want the
   * opposite. Tests flip these to cover both paths on any adapter.
   */
  tuning: { threadRows: boolean };
  /** debug mode: check every float32 op output for NaN/Inf (see checkOutput) */
  checkNumerics = false;
  /** prepended to op labels in checkNumerics reports (the backward pass names the op it differentiates) */
  labelPrefix = '';
  private numericsFlag: GPUBuffer | null = null;
  private numericsLabels: string[] = [];

  // profiling state
  private profiling = false;
  private querySet: GPUQuerySet | null = null;
  private queryLabels: string[] = [];
  private profileResults: Promise<ProfileEntry[]>[] = [];
  /** work that must wait until the current batch is submitted (mapping its staging buffers) */
  private afterSubmit: (() => void)[] = [];

  constructor(acq: AcquiredDevice) {
    this.device = acq.device;
    this.adapter = acq.adapter;
    this.info = acq.info;
    this.pool = new BufferPool(this.device);
    this.tuning = { threadRows: this.info.isSoftware };
    this.pool.onDestroy = () => this.bindGroups.clear();
    this.arena = this.device.createBuffer({ size: ARENA_BYTES, usage: 0x40 /* UNIFORM */ | 0x8 /* COPY_DST */ });
    void this.device.lost.then((info) => {
      this.lostInfo = `${info.reason}: ${info.message}`;
    });
    this.device.onuncapturederror = ((ev: GPUUncapturedErrorEvent) => {
      const err = ev.error;
      if (!this.firstError) this.firstError = err.message;
      if (this.debugShaders) console.error('kiln: GPU error:', err.message);
    }) as (ev: GPUUncapturedErrorEvent) => void;
  }

  static async create(): Promise<Engine> {
    return new Engine(await acquireDevice());
  }

  checkAlive(op: string): void {
    if (this.lostInfo) {
      throw new KilnDeviceError(`kiln: ${op}: the GPU device was lost (${this.lostInfo}); call kiln.ready() again to get a new device`);
    }
  }

  /** Throws the first GPU validation error seen since the last check, if any. */
  checkErrors(op: string): void {
    if (this.firstError) {
      const m = this.firstError;
      this.firstError = null;
      throw new Error(`kiln: ${op}: the GPU reported an error: ${m}`);
    }
  }

  /** Pipeline cache key: shader, defines, overrides and binding signature (cached per Program). */
  private keyOf(p: Program, sig: string): string {
    let k = this.programKeys.get(p);
    if (k === undefined) {
      const ov = p.overrides ? Object.keys(p.overrides).sort().map((n) => `${n}=${p.overrides![n]}`).join(',') : '';
      k = `${p.shader}|${defineKey(p.defines)}|${ov}`;
      this.programKeys.set(p, k);
    }
    return `${k}|${sig}`;
  }

  private module(p: Program): GPUShaderModule {
    const modKey = `${p.shader}|${defineKey(p.defines)}`;
    let mod = this.modules.get(modKey);
    if (!mod) {
      const code = preprocess(shaderSourceRaw(p.shader), p.defines, p.shader);
      if (this.debugShaders) console.error(`// ---- kiln shader ${modKey}\n${code}`);
      mod = this.device.createShaderModule({ code, label: modKey });
      this.modules.set(modKey, mod);
    }
    return mod;
  }

  /**
   * Every kernel binds its inputs (read-only storage), then its outputs (read-write storage), then
   * at most one uniform block, bound with a dynamic offset into the uniform arena. One explicit
   * layout per (inputs, outputs, uniform) lets bind groups be cached and reused across dispatches.
   */
  private layout(nIn: number, nOut: number, uniform: boolean): { bgl: GPUBindGroupLayout; pl: GPUPipelineLayout; sig: string } {
    const sig = `${nIn}:${nOut}:${uniform ? 1 : 0}`;
    let l = this.layouts.get(sig);
    if (!l) {
      const entries: GPUBindGroupLayoutEntry[] = [];
      let b = 0;
      for (let i = 0; i < nIn; i++) entries.push({ binding: b++, visibility: 4 /* COMPUTE */, buffer: { type: 'read-only-storage' } });
      for (let i = 0; i < nOut; i++) entries.push({ binding: b++, visibility: 4, buffer: { type: 'storage' } });
      if (uniform) entries.push({ binding: b++, visibility: 4, buffer: { type: 'uniform', hasDynamicOffset: true } });
      const bgl = this.device.createBindGroupLayout({ entries, label: `kiln ${sig}` });
      l = { bgl, pl: this.device.createPipelineLayout({ bindGroupLayouts: [bgl] }), sig };
      this.layouts.set(sig, l);
    }
    return l;
  }

  pipeline(p: Program, nIn: number, nOut: number): GPUComputePipeline {
    const lay = this.layout(nIn, nOut, !!p.uniforms);
    const key = this.keyOf(p, lay.sig);
    let pipe = this.pipelines.get(key);
    if (pipe) return pipe;
    pipe = this.device.createComputePipeline({
      layout: lay.pl,
      label: key,
      compute: { module: this.module(p), entryPoint: 'main', constants: p.overrides },
    });
    this.stats.pipelinesCompiled++;
    this.pipelines.set(key, pipe);
    return pipe;
  }

  /** Compile pipelines ahead of use, asynchronously (createComputePipelineAsync, in parallel). */
  async compile(programs: RecordedDispatch[]): Promise<void> {
    const pending = new Map<string, RecordedDispatch & { pl: GPUPipelineLayout }>();
    for (const r of programs) {
      const lay = this.layout(r.nIn, r.nOut, !!r.program.uniforms);
      const key = this.keyOf(r.program, lay.sig);
      if (!this.pipelines.has(key)) pending.set(key, { ...r, pl: lay.pl });
    }
    await Promise.all([...pending].map(async ([key, r]) => {
      const pipe = await this.device.createComputePipelineAsync({
        layout: r.pl, label: key, compute: { module: this.module(r.program), entryPoint: 'main', constants: r.program.overrides },
      });
      this.stats.pipelinesCompiled++;
      this.pipelines.set(key, pipe);
    }));
  }

  private bufferId(b: GPUBuffer): number {
    let id = this.bufferIds.get(b);
    if (id === undefined) this.bufferIds.set(b, (id = ++this.nextBufferId));
    return id;
  }

  /** A bind group for these buffers, made once and reused (least recently used ones dropped). */
  private bindGroup(bgl: GPUBindGroupLayout, sig: string, inputs: GPUBuffer[], outputs: GPUBuffer[], uniformSize: number): GPUBindGroup {
    let key = `${sig}|${uniformSize}`;
    for (const b of inputs) key += `,${this.bufferId(b)}`;
    key += ';';
    for (const b of outputs) key += `,${this.bufferId(b)}`;
    let bg = this.bindGroups.get(key);
    if (bg) {
      this.bindGroups.delete(key);
      this.bindGroups.set(key, bg);
      return bg;
    }
    const entries: GPUBindGroupEntry[] = [];
    let n = 0;
    for (const buf of inputs) entries.push({ binding: n++, resource: { buffer: buf } });
    for (const buf of outputs) entries.push({ binding: n++, resource: { buffer: buf } });
    if (uniformSize) entries.push({ binding: n++, resource: { buffer: this.arena, offset: 0, size: uniformSize } });
    bg = this.device.createBindGroup({ layout: bgl, entries });
    this.bindGroups.set(key, bg);
    if (this.bindGroups.size > MAX_BIND_GROUPS) this.bindGroups.delete(this.bindGroups.keys().next().value as string);
    return bg;
  }

  takeUsedPipelines(): number {
    const n = this.used.size;
    this.used.clear();
    return n;
  }

  private ensurePass(): GPUComputePassEncoder {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    if (!this.pass) this.pass = this.encoder.beginComputePass();
    return this.pass;
  }

  private endPass(): void {
    if (this.pass) { this.pass.end(); this.pass = null; }
  }

  /** While set, dispatch() only collects programs (a dry run for warmup; nothing executes). */
  recording: RecordedDispatch[] | null = null;

  /** Record a dispatch. Bindings: inputs (0..), then outputs, then the uniform block (last). */
  dispatch(p: Program, inputs: GPUBuffer[], outputs: GPUBuffer[]): void {
    this.checkAlive(p.label ?? p.shader);
    if (this.recording) { this.recording.push({ program: p, nIn: inputs.length, nOut: outputs.length }); return; }
    const ubytes = p.uniforms ? Math.ceil(p.uniforms.byteLength / UNIFORM_ALIGN) * UNIFORM_ALIGN : 0;
    if (this.arenaUsed + ubytes > ARENA_BYTES || this.dispatches >= MAX_DISPATCHES_PER_BATCH) this.flush();
    const pipe = this.pipeline(p, inputs.length, outputs.length);
    this.used.add(pipe);
    const lay = this.layout(inputs.length, outputs.length, !!p.uniforms);
    const usize = p.uniforms ? p.uniforms.byteLength : 0;
    const bind = this.bindGroup(lay.bgl, lay.sig, inputs, outputs, usize);
    const offset = this.arenaUsed;
    if (p.uniforms) {
      p.uniforms.writeTo(this.arenaView, offset);
      this.arenaUsed += ubytes;
    }
    let pass: GPUComputePassEncoder;
    if (this.profiling) {
      if (this.queryLabels.length + 2 > QUERY_CAPACITY) this.flush();
      this.endPass();
      if (!this.encoder) this.encoder = this.device.createCommandEncoder();
      const i = this.queryLabels.length;
      this.queryLabels.push(p.label ?? p.shader, '');
      pass = this.encoder.beginComputePass({
        timestampWrites: { querySet: this.querySet!, beginningOfPassWriteIndex: i, endOfPassWriteIndex: i + 1 },
      });
      this.pass = pass;
    } else {
      pass = this.ensurePass();
    }
    pass.setPipeline(pipe);
    if (p.uniforms) pass.setBindGroup(0, bind, [offset]);
    else pass.setBindGroup(0, bind);
    const [x, y = 1, z = 1] = p.workgroups;
    pass.dispatchWorkgroups(x, y, z);
    if (this.profiling) this.endPass();
    this.dispatches++;
    this.stats.dispatches++;
  }

  /** Record a buffer-to-buffer copy in the current batch. */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.checkAlive('copy');
    this.endPass();
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    this.encoder.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  /** Zero `bytes` of a buffer, in command order. */
  clear(dst: GPUBuffer, bytes: number): void {
    this.checkAlive('clear');
    this.endPass();
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    this.encoder.clearBuffer(dst, 0, Math.ceil(bytes / 4) * 4);
  }

  /** Upload bytes into a buffer. Safe with pooled buffers: see BufferPool. */
  write(dst: GPUBuffer, data: ArrayBufferView, dstOffset = 0): void {
    this.checkAlive('upload');
    this.stats.uploads++;
    const bytes = data.byteLength;
    const padded = Math.ceil(bytes / 4) * 4;
    if (padded === bytes) {
      this.device.queue.writeBuffer(dst, dstOffset, data.buffer, data.byteOffset, bytes);
    } else {
      const tmp = new Uint8Array(padded);
      tmp.set(new Uint8Array(data.buffer, data.byteOffset, bytes));
      this.device.queue.writeBuffer(dst, dstOffset, tmp);
    }
  }

  /** Submit everything recorded so far. */
  flush(): void {
    this.endPass();
    if (this.arenaUsed) this.device.queue.writeBuffer(this.arena, 0, this.arenaCpu, 0, this.arenaUsed);
    if (this.profiling && this.queryLabels.length) this.resolveQueries();
    if (this.encoder) {
      this.device.queue.submit([this.encoder.finish()]);
      this.stats.submits++;
    }
    for (const f of this.afterSubmit) f();
    this.afterSubmit.length = 0;
    this.encoder = null;
    this.arenaUsed = 0;
    this.dispatches = 0;
    this.pool.onSubmit();
  }

  /**
   * Debug mode: record a check that `count` float32 values of `buf`, the output of `label`, are
   * finite. The next readback throws naming the first op that produced NaN or Inf.
   */
  checkOutput(buf: GPUBuffer, count: number, label: string): void {
    if (!count) return;
    this.numericsFlag ??= this.device.createBuffer({ size: 16, usage: 0x80 | 0x4 | 0x8 });
    const id = this.numericsLabels.length;
    this.numericsLabels.push(label);
    this.dispatch(checkNumericsProgram(count, id), [buf], [this.numericsFlag]);
  }

  /** Copy `bytes` of `src` back to the CPU. */
  async read(src: GPUBuffer, bytes: number, op = 'data'): Promise<ArrayBuffer> {
    this.checkAlive(op);
    const size = Math.ceil(Math.max(bytes, 4) / 4) * 4;
    const staging = this.device.createBuffer({ size, usage: 0x1 /* MAP_READ */ | 0x8 /* COPY_DST */ });
    let flagStaging: GPUBuffer | null = null;
    const labels = this.numericsLabels;
    if (labels.length && this.numericsFlag) {
      flagStaging = this.device.createBuffer({ size: 16, usage: 0x1 | 0x8 });
      this.copy(this.numericsFlag, 0, flagStaging, 0, 16);
      this.clear(this.numericsFlag, 16);
      this.numericsLabels = [];
    }
    this.copy(src, 0, staging, 0, size);
    this.flush();
    if (flagStaging) {
      await flagStaging.mapAsync(0x1);
      const v = new Uint32Array(flagStaging.getMappedRange())[0];
      flagStaging.unmap();
      flagStaging.destroy();
      if (v !== 0) {
        staging.destroy();
        const id = 0xffffffff - v;
        throw new Error(`${labels[id]} produced NaN or Inf (found by checkNumerics before ${op}; op #${id + 1} of ${labels.length} since the last readback)`);
      }
    }
    try {
      await Promise.race([
        staging.mapAsync(0x1 /* READ */),
        this.device.lost.then((i) => { throw new KilnDeviceError(`kiln: ${op}: the GPU device was lost (${i.reason}: ${i.message})`); }),
      ]);
    } catch (e) {
      staging.destroy();
      this.checkErrors(op);
      throw e;
    }
    const out = staging.getMappedRange(0, size).slice(0, bytes);
    staging.unmap();
    staging.destroy();
    this.checkErrors(op);
    return out;
  }

  /** Wait until the GPU has finished everything submitted. */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    this.checkErrors('sync');
  }

  // ---- profiling ----
  get canProfile(): boolean { return this.info.features.timestampQuery; }

  beginProfile(): void {
    if (!this.canProfile) throw new Error('kiln: profile: this adapter has no timestamp-query feature');
    this.flush();
    this.querySet ??= this.device.createQuerySet({ type: 'timestamp', count: QUERY_CAPACITY });
    this.profiling = true;
    this.queryLabels = [];
    this.profileResults = [];
  }

  private resolveQueries(): void {
    const n = this.queryLabels.length;
    const labels = this.queryLabels;
    this.queryLabels = [];
    const enc = this.encoder ?? (this.encoder = this.device.createCommandEncoder());
    const resolve = this.device.createBuffer({ size: n * 8, usage: 0x200 /* QUERY_RESOLVE */ | 0x4 /* COPY_SRC */ });
    const staging = this.device.createBuffer({ size: n * 8, usage: 0x1 | 0x8 });
    enc.resolveQuerySet(this.querySet!, 0, n, resolve, 0);
    enc.copyBufferToBuffer(resolve, 0, staging, 0, n * 8);
    this.afterSubmit.push(() => this.profileResults.push((async () => {
      await staging.mapAsync(0x1);
      const t = new BigUint64Array(staging.getMappedRange().slice(0));
      staging.unmap(); staging.destroy(); resolve.destroy();
      const out: ProfileEntry[] = [];
      for (let i = 0; i < n; i += 2) out.push({ kernel: labels[i], ms: Number(t[i + 1] - t[i]) / 1e6 });
      return out;
    })()));
  }

  async endProfile(): Promise<ProfileEntry[]> {
    this.flush();
    this.profiling = false;
    const parts = await Promise.all(this.profileResults);
    this.profileResults = [];
    return parts.flat();
  }
}
