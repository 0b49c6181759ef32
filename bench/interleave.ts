// Interleaved timing of two sides (kiln, tfjs-webgpu) of one suite. lavapipe runs the "GPU" on the
// CPUs that other processes share, so a change of load between a kiln-only phase and a tfjs-only
// phase moves a ratio by 2-3x; here each round times one batch of each side back to back (the
// order alternating), and the ratio reported is over rounds, so a load drift slower than a round
// moves both sides alike. Method and numbers: bench/README.md.
import type { Side } from './sides.ts';

export interface Plan {
  /** untimed rounds: the first reads each side's output back (compiles), the second sizes the batches */
  warmupRounds: number;
  /** timed rounds at least */
  minRounds: number;
  /** after minRounds, keep adding rounds until the timed rounds have lasted this long (s) */
  maxTime: number;
  maxRounds: number;
  /** a side's batch is the runs that last at least this long (ms), sized in warm-up round 2 */
  batchMs: number;
  maxBatch: number;
}

export interface SideResult {
  /** ms per round: the median of that round's batch of runs */
  roundsMs: number[];
  batch: number;
  /** warm-up: the first run (read back) and the calibration round, seconds */
  warmupS: number;
  /** the first run's output, for the check */
  values: Float32Array | null;
  note?: string;
}

export interface Timed {
  sides: (SideResult | null)[];
  /** per round: tfjs ms / kiln ms (only when both sides ran every round) */
  ratios: number[];
  rounds: number;
}

export function median(xs: number[]): number { return quantile(xs, 0.5); }

/** Linear-interpolation quantile (numpy's default, R type 7). */
export function quantile(xs: number[], q: number): number {
  if (!xs.length) return NaN;
  const v = [...xs].sort((a, b) => a - b);
  const h = (v.length - 1) * q;
  const lo = Math.floor(h);
  return lo + 1 < v.length ? v[lo] + (h - lo) * (v[lo + 1] - v[lo]) : v[lo];
}

const message = (e: unknown): string => `failed: ${(e as Error)?.message ?? e}`.split('\n')[0];

/**
 * Times `sides` (index 0 = kiln, 1 = tfjs; null = not run) in interleaved rounds: round r runs
 * side 0's batch then side 1's on even r, the other way round on odd r. A side that throws is
 * dropped with its message; the other goes on alone (no ratios then).
 */
export async function interleave(sides: (Side | null)[], p: Plan): Promise<Timed> {
  const res: (SideResult | null)[] = sides.map((s) => (s ? { roundsMs: [], batch: 1, warmupS: 0, values: null } : null));
  const live = (i: number) => sides[i] !== null && res[i]!.note === undefined;
  const order = (r: number) => (r % 2 ? [1, 0] : [0, 1]).filter((i) => i < sides.length);
  const guard = async (i: number, f: () => Promise<void>) => {
    if (!live(i)) return;
    try { await f(); } catch (e) { res[i]!.note = message(e); }
  };
  const batch = async (i: number, ms: number[] | null) => {
    for (let k = 0; k < res[i]!.batch; k++) {
      const t0 = performance.now();
      await sides[i]!.step();
      ms?.push(performance.now() - t0);
    }
  };

  for (let w = 0; w < Math.max(2, p.warmupRounds); w++) {
    for (const i of order(w)) {
      await guard(i, async () => {
        const t0 = performance.now();
        if (w === 0) {
          res[i]!.values = await sides[i]!.values();
        } else if (w === 1) {
          // runs until batchMs has passed; the batch is the count that fills batchMs at that pace
          let n = 0;
          while (n < p.maxBatch && (n === 0 || performance.now() - t0 < p.batchMs)) { await sides[i]!.step(); n++; }
          const per = (performance.now() - t0) / n;
          res[i]!.batch = Math.min(p.maxBatch, Math.max(1, Math.ceil(p.batchMs / per)));
        } else {
          await batch(i, null);
        }
        if (w < 2) res[i]!.warmupS += (performance.now() - t0) / 1e3;
      });
    }
  }

  const ratios: number[] = [];
  const t0 = performance.now();
  let r = 0;
  while (r < p.maxRounds && (r < p.minRounds || (performance.now() - t0) / 1e3 < p.maxTime)) {
    if (![0, 1].some(live)) break;
    const round: (number | null)[] = [null, null];
    for (const i of order(r)) {
      await guard(i, async () => {
        const ms: number[] = [];
        await batch(i, ms);
        round[i] = median(ms);
        res[i]!.roundsMs.push(round[i]!);
      });
    }
    if (round[0] !== null && round[1] !== null) ratios.push(round[1] / round[0]);
    r++;
  }
  // a side that failed part-way has a partial series: its ratios would not cover every round
  for (const s of res) if (s?.note) s.roundsMs = [];
  const both = res.length > 1 && res.every((s) => s && !s.note);
  return { sides: res, ratios: both ? ratios : [], rounds: r };
}
