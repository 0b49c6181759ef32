// A Gboard-style keyboard decoder with kiln's transducers (pure TypeScript, no GPU):
// typed keys -> a key-confusion transducer (fat fingers hit a neighbouring key) -> a lexicon
// (keys to words; "I've" reachable without its apostrophe) -> a bigram language model, then the
// n best distinct word strings of the composition.
//   node --import tsx examples/keyboard_decoder.ts [typed text]
import * as kiln from '../src/index.ts';

const { fst } = kiln;

const WORDS = ['I', "I've", 'if', 'is', 'it', 'the', 'they', 'then', 'there', 'thank', 'thanks', 'you', 'your', 'yes', 'see', 'soon', 'so', 'got', 'to', 'go', 'good', 'food', 'done'];
const CORPUS = `I've got to go. Thank you. Thanks, see you soon. I think it is good. If you see them, say thanks.
  They got the food. Then I've done it. Is it your food? Yes, it is. See you there. Thank you so much. It is done.`;

/** Neighbouring keys on a QWERTY phone layout: same row left/right, and the keys above/below. */
function neighbours(): Map<string, string[]> {
  const rows = ['qwertyuiop', 'asdfghjkl', 'zxcvbnm'];
  const m = new Map<string, string[]>();
  rows.forEach((row, r) => {
    for (let i = 0; i < row.length; i++) {
      const n = [row[i - 1], row[i + 1], rows[r - 1]?.[i], rows[r - 1]?.[i + 1], rows[r + 1]?.[i], rows[r + 1]?.[i - 1]];
      m.set(row[i], n.filter((k): k is string => !!k));
    }
  });
  return m;
}

export interface Decoded { typed: string; paths: { words: string; cost: number }[] }

export function decodeKeys(typed: string[], nbest = 3, log: (...m: unknown[]) => void = console.log): Decoded[] {
  const L = fst.buildLexicon(WORDS, { optionalSpace: true });
  const keys = L.isymbols!, words = L.osymbols!;
  const G = fst.buildNgramLm(fst.tokenizeSentences(CORPUS, { lowercase: false }), { order: 2, vocabulary: WORDS, symbols: words });
  // Key confusion: a single-state transducer, key -> itself (free) or a neighbour (cost 2.5).
  const E = new fst.VectorFst(fst.TropicalSemiring);
  const s = E.addState();
  E.setStart(s);
  E.setFinal(s);
  for (const [k, ns] of neighbours()) {
    const id = keys.find(k);
    if (id < 0) continue;
    E.addArc(s, { ilabel: id, olabel: id, weight: 0, nextstate: s });
    for (const n of ns) if (keys.find(n) >= 0) E.addArc(s, { ilabel: id, olabel: keys.find(n), weight: 2.5, nextstate: s });
  }
  for (const special of ['<space>', "'"]) {
    const id = keys.find(special);
    if (id >= 0) E.addArc(s, { ilabel: id, olabel: id, weight: 0, nextstate: s });
  }
  log(`lexicon ${L.numStates()} states, LM ${G.numStates()} states / ${G.totalArcs()} arcs, confusion ${E.totalArcs()} arcs`);
  const LG = fst.compose(L, G);
  const out: Decoded[] = [];
  for (const text of typed) {
    const typedKeys = fst.keysAcceptor(text.replace(/ /g, '\u0020'), keys);
    const lattice = fst.compose(fst.compose(typedKeys, E), LG);
    // n distinct word strings: keep the words, drop epsilons, determinize (the min over the
    // key paths of each word string), then the n best
    const words1 = fst.determinize(fst.rmEpsilon(fst.project(lattice, 'output')));
    const best = fst.shortestPath(words1, { nshortest: nbest });
    const paths = pathsOf(best, words);
    out.push({ typed: text, paths });
    log(`"${text}" -> ${paths.map((p) => `${p.words} (${p.cost.toFixed(2)})`).join(' | ')}`);
  }
  return out;
}

/** The paths of an acyclic n-best FST as (output words, total cost), best first. */
function pathsOf(f: kiln.fst.VectorFst<number>, words: kiln.fst.SymbolTable): { words: string; cost: number }[] {
  const res: { words: string; cost: number }[] = [];
  const walk = (s: number, out: string[], cost: number) => {
    if (f.isFinal(s)) res.push({ words: out.join(' '), cost: cost + f.final(s) });
    for (const a of f.arcs(s)) walk(a.nextstate, a.olabel ? [...out, words.symbol(a.olabel) ?? '?'] : out, cost + a.weight);
  };
  if (f.start >= 0) walk(f.start, [], 0);
  return res.sort((a, b) => a.cost - b.cost);
}

const isMain = process.argv[1] && /keyboard_decoder\.ts$/.test(process.argv[1]);
if (isMain) decodeKeys(process.argv.length > 2 ? process.argv.slice(2) : ['ive got to go', 'thsnk you', 'see yiu soon']);
