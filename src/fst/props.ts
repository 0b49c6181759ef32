// Structural helpers shared by the algorithms: strongly connected components, accessibility.
import { VectorFst, NO_STATE } from './fst.ts';

export interface SccInfo {
  /** scc[s]: component id; components are numbered in topological order (arcs go from lower to equal-or-higher ids). */
  scc: Int32Array;
  numScc: number;
  /** True when the component has a cycle (more than one state or a self-loop). */
  cyclic: Uint8Array;
  /** Reachable from the start state (only states reachable are numbered when fromStart; others get -1). */
  access: Uint8Array;
}

/**
 * Tarjan's SCC algorithm (iterative). With fromStart, only states accessible from the start are
 * visited (others get scc = -1); otherwise every state is.
 */
export function sccs<W>(f: VectorFst<W>, fromStart = true): SccInfo {
  const n = f.numStates();
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const scc = new Int32Array(n).fill(-1);
  const access = new Uint8Array(n);
  const stack: number[] = [];
  const comps: number[][] = [];
  let counter = 0;
  const callS: number[] = [];
  const callI: number[] = [];
  const visit = (root: number) => {
    callS.push(root); callI.push(0);
    index[root] = low[root] = counter++; stack.push(root); onStack[root] = 1; access[root] = 1;
    while (callS.length) {
      const top = callS.length - 1;
      const s = callS[top];
      const arcs = f.arcs(s);
      const i = callI[top];
      if (i < arcs.length) {
        callI[top] = i + 1;
        const d = arcs[i].nextstate;
        if (index[d] === -1) {
          index[d] = low[d] = counter++; stack.push(d); onStack[d] = 1; access[d] = 1;
          callS.push(d); callI.push(0);
        } else if (onStack[d] && index[d] < low[s]) {
          low[s] = index[d];
        }
      } else {
        callS.pop(); callI.pop();
        if (callS.length) { const p = callS[callS.length - 1]; if (low[s] < low[p]) low[p] = low[s]; }
        if (low[s] === index[s]) {
          const comp: number[] = [];
          let x: number;
          do { x = stack.pop()!; onStack[x] = 0; comp.push(x); } while (x !== s);
          comps.push(comp);
        }
      }
    }
  };
  if (fromStart) { if (f.start !== NO_STATE) visit(f.start); } else for (let s = 0; s < n; s++) if (index[s] === -1) visit(s);
  // Tarjan emits components in reverse topological order.
  const numScc = comps.length;
  const cyclic = new Uint8Array(numScc);
  for (let c = 0; c < numScc; c++) {
    const id = numScc - 1 - c;
    for (const s of comps[c]) scc[s] = id;
  }
  for (let c = 0; c < numScc; c++) {
    const id = numScc - 1 - c;
    const comp = comps[c];
    if (comp.length > 1) cyclic[id] = 1;
    else for (const a of f.arcs(comp[0])) if (a.nextstate === comp[0]) { cyclic[id] = 1; break; }
  }
  return { scc, numScc, cyclic, access };
}

/** States reachable from the start state. */
export function accessible<W>(f: VectorFst<W>): Uint8Array {
  const n = f.numStates();
  const seen = new Uint8Array(n);
  if (f.start === NO_STATE) return seen;
  const stack = [f.start];
  seen[f.start] = 1;
  while (stack.length) {
    const s = stack.pop()!;
    for (const a of f.arcs(s)) if (!seen[a.nextstate]) { seen[a.nextstate] = 1; stack.push(a.nextstate); }
  }
  return seen;
}

/** States from which a final state is reachable. */
export function coaccessible<W>(f: VectorFst<W>): Uint8Array {
  const n = f.numStates();
  const preds: number[][] = Array.from({ length: n }, () => []);
  for (let s = 0; s < n; s++) for (const a of f.arcs(s)) preds[a.nextstate].push(s);
  const seen = new Uint8Array(n);
  const stack: number[] = [];
  for (let s = 0; s < n; s++) if (f.isFinal(s)) { seen[s] = 1; stack.push(s); }
  while (stack.length) {
    const s = stack.pop()!;
    for (const p of preds[s]) if (!seen[p]) { seen[p] = 1; stack.push(p); }
  }
  return seen;
}

/** True when no cycle passes through the start state (OpenFst's kInitialAcyclic). */
export function isInitialAcyclic<W>(f: VectorFst<W>): boolean {
  if (f.start === NO_STATE) return true;
  const n = f.numStates();
  const seen = new Uint8Array(n);
  const stack: number[] = [];
  for (const a of f.arcs(f.start)) {
    if (a.nextstate === f.start) return false;
    if (!seen[a.nextstate]) { seen[a.nextstate] = 1; stack.push(a.nextstate); }
  }
  while (stack.length) {
    const s = stack.pop()!;
    for (const a of f.arcs(s)) {
      if (a.nextstate === f.start) return false;
      if (!seen[a.nextstate]) { seen[a.nextstate] = 1; stack.push(a.nextstate); }
    }
  }
  return true;
}

/** True when the part of the FST reachable from the start has no cycle. */
export function isAcyclic<W>(f: VectorFst<W>): boolean {
  const info = sccs(f, true);
  for (let c = 0; c < info.numScc; c++) if (info.cyclic[c]) return false;
  return true;
}

/** Every arc goes to a higher state id (OpenFst's kTopSorted as tracked while an FST is built). */
export function isTopSortedById<W>(f: VectorFst<W>): boolean {
  for (let s = 0; s < f.numStates(); s++) for (const a of f.arcs(s)) if (a.nextstate <= s) return false;
  return true;
}
