// `kiln fst OP [FLAGS] A.txt [B.txt]`: OpenFst-compatible command line over src/fst. Reads
// OpenFst AT&T text (as fstcompile does), writes the result as fstprint does. See docs/fst.md.
import { readFileSync } from 'node:fs';
import {
  parseFst, printFst, semiringByName, SymbolTable, KilnFstError, verifyFst, type VectorFst, type Semiring,
  arcSort, connect, project, invert, union, concat, closure, reverse, shortestDistance, openFstDistanceLength,
  shortestPath, push, prune, randGen, compose, determinize, minimize, rmEpsilon,
} from '../fst/index.ts';

const USAGE = `usage: kiln fst OP [FLAGS] A.txt [B.txt]

Weighted FST algorithms on OpenFst AT&T text (integer labels unless --isymbols/--osymbols);
the result goes to stdout in fstprint's format. '-' reads standard input.

ops (OpenFst's command names and flags):
  compose A B                 [--connect=false]
  determinize A               [--delta=D]
  minimize A                  [--delta=D]
  rmepsilon A                 [--connect=false] [--delta=D]
  shortestpath A              [--nshortest=N] [--weight=W] [--delta=D]
  shortestdistance A          [--reverse] [--delta=D]   (prints STATE<TAB>WEIGHT)
  union A B | concat A B
  closure A                   [--closure_plus]
  project A                   [--project_type=input|output]
  invert A
  arcsort A                   [--sort_type=ilabel|olabel]
  connect A | reverse A
  push A                      [--push_weights] [--to_final] [--remove_total_weight] [--delta=D]
  prune A                     --weight=W [--nstate=N] [--delta=D]
  randgen A                   [--npath=N] [--seed=S] [--select=uniform|log_prob] [--max_length=L]

flags for every op:
  --arc_type=standard|log|log64   semiring of the weights (default standard = tropical)
  --isymbols=F --osymbols=F       OpenFst symbol-table files for the labels (input and output)
  --acceptor                      acceptor text format (src dst label [weight])
  --show_weight_one               print weights equal to One too
  --keep_state_numbering[=false]  state ids as written in the text (default true: the ids of
                                  the input are the ids of the output; =false numbers states
                                  in order of first mention, as bare fstcompile does)`;

type Flags = Map<string, string>;

const COMMON = ['arc_type', 'isymbols', 'osymbols', 'acceptor', 'show_weight_one', 'keep_state_numbering'];
const OPS: Record<string, { inputs: 1 | 2; flags: string[] }> = {
  compose: { inputs: 2, flags: ['connect', 'compose_filter'] },
  determinize: { inputs: 1, flags: ['delta'] },
  minimize: { inputs: 1, flags: ['delta'] },
  rmepsilon: { inputs: 1, flags: ['connect', 'delta'] },
  shortestpath: { inputs: 1, flags: ['nshortest', 'weight', 'delta', 'unique'] },
  shortestdistance: { inputs: 1, flags: ['reverse', 'delta'] },
  union: { inputs: 2, flags: [] },
  concat: { inputs: 2, flags: [] },
  closure: { inputs: 1, flags: ['closure_plus'] },
  project: { inputs: 1, flags: ['project_type', 'project_output'] },
  invert: { inputs: 1, flags: [] },
  arcsort: { inputs: 1, flags: ['sort_type'] },
  connect: { inputs: 1, flags: [] },
  reverse: { inputs: 1, flags: ['require_superinitial'] },
  push: { inputs: 1, flags: ['push_weights', 'push_labels', 'to_final', 'remove_total_weight', 'delta'] },
  prune: { inputs: 1, flags: ['weight', 'nstate', 'delta'] },
  randgen: { inputs: 1, flags: ['npath', 'seed', 'select', 'max_length'] },
};

class UsageError extends Error {}

function parseArgs(argv: string[]): { flags: Flags; files: string[] } {
  const flags: Flags = new Map();
  const files: string[] = [];
  for (const a of argv) {
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = (eq < 0 ? a.slice(2) : a.slice(2, eq)).replace(/-/g, '_');
      flags.set(name, eq < 0 ? 'true' : a.slice(eq + 1));
    } else files.push(a);
  }
  return { flags, files };
}

function boolFlag(flags: Flags, name: string, dflt: boolean): boolean {
  const v = flags.get(name);
  if (v === undefined) return dflt;
  if (v === 'true' || v === '1' || v === '') return true;
  if (v === 'false' || v === '0') return false;
  throw new UsageError(`--${name} must be true or false, got '${v}'`);
}

function numFlag(flags: Flags, name: string, dflt: number, integer = false): number {
  const v = flags.get(name);
  if (v === undefined) return dflt;
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || (integer && !Number.isInteger(x))) throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'}, got '${v}'`);
  return x;
}

function readText(file: string): string {
  try {
    return file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
  } catch (e) {
    throw new KilnFstError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function write(text: string): void {
  if (text !== '') console.log(text.endsWith('\n') ? text.slice(0, -1) : text);
}

export async function fstCli(argv: string[]): Promise<number> {
  const [op, ...rest] = argv;
  if (op === undefined || op === 'help' || op === '--help' || op === '-h') {
    console.log(USAGE);
    return op === undefined ? 2 : 0;
  }
  const spec = OPS[op];
  if (!spec) {
    console.error(`kiln fst: unknown op '${op}'\n\n${USAGE}`);
    return 2;
  }
  try {
    const { flags, files } = parseArgs(rest);
    for (const name of flags.keys()) {
      if (!COMMON.includes(name) && !spec.flags.includes(name)) {
        throw new UsageError(`unknown flag --${name}; '${op}' accepts ${[...spec.flags, ...COMMON].map((f) => `--${f}`).join(' ')}`);
      }
    }
    if (files.length !== spec.inputs) {
      throw new UsageError(`'${op}' takes ${spec.inputs === 1 ? 'one input file (A.txt)' : 'two input files (A.txt B.txt)'}, got ${files.length}${files.length ? `: ${files.join(' ')}` : ''}`);
    }
    const semiring = semiringByName(flags.get('arc_type') ?? 'standard') as Semiring<number>;
    const isymbols = flags.has('isymbols') ? SymbolTable.fromText(readText(flags.get('isymbols')!), flags.get('isymbols')) : undefined;
    const osymbols = flags.has('osymbols') ? SymbolTable.fromText(readText(flags.get('osymbols')!), flags.get('osymbols')) : undefined;
    const acceptor = boolFlag(flags, 'acceptor', false);
    // The text's own state ids, by default: the numbers a user wrote are the numbers printed back
    // (state-preserving ops and shortestdistance), as an fstcompile --keep_state_numbering pipeline does.
    const keep = boolFlag(flags, 'keep_state_numbering', true);
    const inputs = files.map((file) => {
      const f = parseFst(readText(file), { semiring, file: file === '-' ? 'stdin' : file, isymbols, osymbols, acceptor, keepStateNumbering: keep });
      verifyFst(f, file);
      return f;
    });
    const [a, b] = inputs;
    const weightFlag = (name: string): number | undefined => {
      const v = flags.get(name);
      if (v === undefined || v === '') return undefined;
      try { return semiring.parse(v); } catch { throw new UsageError(`--${name} must be a ${semiring.name} weight, got '${v}'`); }
    };
    const delta = flags.has('delta') ? numFlag(flags, 'delta', 0) : undefined;
    let result: VectorFst<number>;
    switch (op) {
      case 'shortestdistance': {
        const rev = boolFlag(flags, 'reverse', false);
        const d = shortestDistance(a, { reverse: rev, delta: delta ?? 1e-6 });
        const len = openFstDistanceLength(a, rev);
        const lines: string[] = [];
        for (let s = 0; s < len; s++) lines.push(`${s}\t${semiring.toString(d[s])}\n`);
        write(lines.join(''));
        return 0;
      }
      case 'compose':
        if ((flags.get('compose_filter') ?? 'auto') !== 'auto' && flags.get('compose_filter') !== 'sequence') throw new UsageError(`--compose_filter=${flags.get('compose_filter')} is not supported (kiln composes with the sequence filter, fstcompose's auto choice)`);
        result = compose(a, b, { connect: boolFlag(flags, 'connect', true) });
        break;
      case 'determinize': result = determinize(a, { delta }); break;
      case 'minimize': result = minimize(a, { delta }); break;
      case 'rmepsilon': result = rmEpsilon(a, { connect: boolFlag(flags, 'connect', true), delta }); break;
      case 'shortestpath': {
        if (boolFlag(flags, 'unique', false)) throw new UsageError('--unique is not supported (kiln returns n distinct paths, OpenFst\'s default)');
        result = shortestPath(a, { nshortest: numFlag(flags, 'nshortest', 1, true), weightThreshold: weightFlag('weight'), delta });
        break;
      }
      case 'union': result = union(a, b); break;
      case 'concat': result = concat(a, b); break;
      case 'closure': result = closure(a, boolFlag(flags, 'closure_plus', false) ? 'plus' : 'star'); break;
      case 'project': {
        let type = flags.get('project_type') ?? 'input';
        if (boolFlag(flags, 'project_output', false)) type = 'output';
        if (type !== 'input' && type !== 'output') throw new UsageError(`--project_type must be input or output, got '${type}'`);
        result = project(a, type);
        break;
      }
      case 'invert': result = invert(a); break;
      case 'arcsort': {
        const type = flags.get('sort_type') ?? 'ilabel';
        if (type !== 'ilabel' && type !== 'olabel') throw new UsageError(`--sort_type must be ilabel or olabel, got '${type}'`);
        result = arcSort(a, type);
        break;
      }
      case 'connect': result = connect(a); break;
      case 'reverse':
        if (!boolFlag(flags, 'require_superinitial', true)) throw new UsageError('--require_superinitial=false is not supported');
        result = reverse(a);
        break;
      case 'push': {
        if (boolFlag(flags, 'push_labels', false)) throw new UsageError('--push_labels is not supported yet (weights only)');
        result = boolFlag(flags, 'push_weights', false)
          ? push(a, { toFinal: boolFlag(flags, 'to_final', false), removeTotalWeight: boolFlag(flags, 'remove_total_weight', false), delta })
          : a; // as fstpush: without --push_weights nothing is pushed
        break;
      }
      case 'prune': result = prune(a, { weight: weightFlag('weight'), nstate: numFlag(flags, 'nstate', -1, true), delta }); break;
      case 'randgen': {
        const select = flags.get('select') ?? 'uniform';
        if (select !== 'uniform' && select !== 'log_prob') throw new UsageError(`--select must be uniform or log_prob, got '${select}'`);
        result = randGen(a, { npath: numFlag(flags, 'npath', 1, true), seed: numFlag(flags, 'seed', 0x5eed, true), select, maxLength: numFlag(flags, 'max_length', Infinity, true) });
        break;
      }
      default: throw new UsageError(`op '${op}' has no implementation`);
    }
    write(printFst(result, { isymbols, osymbols, acceptor, showWeightOne: boolFlag(flags, 'show_weight_one', false) }));
    return 0;
  } catch (e) {
    if (e instanceof UsageError) { console.error(`kiln fst ${op}: ${e.message}`); return 2; }
    if (e instanceof KilnFstError) { console.error(`kiln fst ${op}: ${e.message}`); return 1; }
    throw e;
  }
}
