// The CoNLL 2018 shared task's attachment scores on gold tokenisation (docs/parser.md): UAS (head
// right), LAS (head and the universal part of the relation right), UPOS accuracy, over every
// word, punctuation included.
import { universalRel, type ConlluSentence } from '../../io/conllu.ts';

export interface AttachmentScores { words: number; uas: number; las: number; upos: number; sentences: number }

export interface Scored { forms: string[]; heads: number[]; rels: string[]; tags?: string[] }

export function attachmentScores(gold: readonly Scored[], pred: readonly Scored[]): AttachmentScores {
  if (gold.length !== pred.length) throw new Error(`attachmentScores: ${gold.length} gold sentences but ${pred.length} predicted; the files must have the same sentences in the same order`);
  let n = 0, uh = 0, lh = 0, tp = 0;
  gold.forEach((g, i) => {
    const p = pred[i];
    if (g.forms.length !== p.forms.length) throw new Error(`attachmentScores: sentence ${i + 1} has ${g.forms.length} gold words but ${p.forms.length} predicted (gold tokenisation is required)`);
    for (let w = 0; w < g.forms.length; w++) {
      n++;
      if (g.heads[w] === p.heads[w]) {
        uh++;
        if (universalRel(g.rels[w]) === universalRel(p.rels[w])) lh++;
      }
      if (g.tags && p.tags && g.tags[w] === p.tags[w]) tp++;
    }
  });
  const pc = (x: number) => (n ? (100 * x) / n : 0);
  return { words: n, uas: pc(uh), las: pc(lh), upos: pc(tp), sentences: gold.length };
}

/** The columns attachmentScores reads, from a CoNLL-U sentence ('_' heads count as wrong). */
export function scoredOf(s: ConlluSentence): Scored {
  return { forms: s.words.map((w) => w.cols[1]), heads: s.words.map((w) => (w.cols[6] === '_' ? -1 : Number(w.cols[6]))), rels: s.words.map((w) => w.cols[7]), tags: s.words.map((w) => w.cols[3]) };
}
