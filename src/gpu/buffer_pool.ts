// Storage buffers pooled by size class. A buffer released while the current batch of commands is
// still unsubmitted may be read by that batch. A later dispatch in the same batch may reuse it
// (WebGPU orders dispatches), but a queue.writeBuffer may not: it runs at queue time, before the
// batch. So such buffers wait in `pending`, reusable for dispatch outputs at once and for uploads
// only after the batch is submitted.

export const STORAGE_USAGE = 0x80 /* STORAGE */ | 0x4 /* COPY_SRC */ | 0x8 /* COPY_DST */;

/** Size classes: multiples of 256 bytes below 4 KiB, then 8 steps per power of two (<= 12.5% waste). */
export function sizeClass(bytes: number): number {
  const b = Math.max(16, bytes);
  if (b <= 4096) return Math.ceil(b / 256) * 256;
  const p = 2 ** Math.floor(Math.log2(b));
  const step = p / 8;
  return Math.ceil(b / step) * step;
}

export class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  private pending = new Map<number, GPUBuffer[]>();
  private pendingCount = 0;
  pooledBytes = 0;
  allocatedBytes = 0;
  liveBuffers = 0;
  created = 0;

  /** called when buffers are destroyed (the engine drops bind groups that name them) */
  onDestroy: (() => void) | null = null;

  constructor(private device: GPUDevice, private maxPooledBytes = 1 << 30) {}

  /** A buffer for a dispatch output (`forUpload`: one that queue.writeBuffer will fill). */
  acquire(bytes: number, forUpload = false): GPUBuffer {
    const size = sizeClass(bytes);
    if (!forUpload) {
      const p = this.pending.get(size);
      if (p && p.length) {
        this.pendingCount--;
        this.liveBuffers++;
        return p.pop()!;
      }
    }
    const list = this.free.get(size);
    if (list && list.length) {
      const buf = list.pop()!;
      this.pooledBytes -= size;
      this.liveBuffers++;
      return buf;
    }
    const buf = this.device.createBuffer({ size, usage: STORAGE_USAGE });
    this.created++;
    this.allocatedBytes += size;
    this.liveBuffers++;
    return buf;
  }

  /** Give a buffer back; it becomes reusable once the current batch is submitted. */
  release(buf: GPUBuffer): void {
    this.liveBuffers--;
    let list = this.pending.get(buf.size);
    if (!list) this.pending.set(buf.size, (list = []));
    list.push(buf);
    this.pendingCount++;
  }

  /** Called right after a submit: pending buffers may now be reused. */
  onSubmit(): void {
    if (!this.pendingCount) return;
    for (const buf of [...this.pending.values()].flat()) {
      const size = buf.size;
      if (this.pooledBytes + size > this.maxPooledBytes) {
        buf.destroy();
        this.allocatedBytes -= size;
        this.onDestroy?.();
        continue;
      }
      let list = this.free.get(size);
      if (!list) this.free.set(size, (list = []));
      list.push(buf);
      this.pooledBytes += size;
    }
    this.pending.clear();
    this.pendingCount = 0;
  }

  /** Destroy every pooled (unused) buffer. */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) { b.destroy(); this.allocatedBytes -= b.size; }
    this.free.clear();
    this.pooledBytes = 0;
    this.onDestroy?.();
  }
}
