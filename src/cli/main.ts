// The `kiln` command line: info, demo, golden. Run `kiln help` for usage.
import * as kiln from '../index.ts';
import { engine } from '../tensor.ts';

const USAGE = `kiln — a small, fast tensor engine with hand-written WGSL kernels

usage: kiln <command> [options]

commands:
  info [--json]              adapter, backend, features and key limits
  demo                       what kiln does, checked against CPU references
  golden [DIR] [--json]      run the PyTorch golden-vector cases in DIR (default: the repo's
                             test/golden; format in test/golden/README.md)
  summary MODEL [--alpha A] [--resolution R] [--classes K] [--params RULE] [--pool-macs] [--json]
                             per-layer MACs and parameters of a model (MODEL: mobilenet_v1; docs/models.md)
  classify IMAGE [--model nsfwjs] [--top K] [--json]
                             top-k classes of a PNG/JPEG image with a pretrained network (docs/import.md)
  fst OP [FLAGS] A.txt [B.txt]
                             weighted FST algorithms on OpenFst AT&T text (docs/fst.md; kiln fst help)
  keyboard CMD [OPTIONS]     the Gboard-style keyboard decoder: decode, predict, translit, train,
                             eval (docs/keyboard.md; kiln keyboard help)
  topics CMD [OPTIONS]       app topics: skip-gram vectors and per-topic classifiers on Debian
                             packages: predict, train, eval, neighbours (docs/topics.md)
  codec CMD [OPTIONS]        Residual-GRU image codec: encode, decode, train, eval
                             (docs/codec.md; kiln codec help)
  reply CMD [OPTIONS]        smart reply: LSTM encoder-decoder suggestions for mail messages:
                             suggest, train, eval (docs/smart_reply.md; kiln reply help)
  parse [CMD] [OPTIONS]      dependency parsing of CoNLL-U (SyntaxNet-style transition parser
                             with a beam): parse stdin, train, eval (docs/parser.md; kiln parse help)
  help                       this text`;

async function info(json: boolean): Promise<void> {
  await kiln.ready();
  const i = engine().info;
  if (json) { console.log(JSON.stringify(i, null, 2)); return; }
  console.log(`adapter:   ${i.adapter}${i.isSoftware ? ' (software rasteriser)' : ''}`);
  console.log(`vendor:    ${i.vendor || '-'}  architecture: ${i.architecture || '-'}`);
  console.log(`backend:   ${i.backend}`);
  console.log(`features:  f16=${i.features.f16} subgroups=${i.features.subgroups} timestamp-query=${i.features.timestampQuery}`);
  console.log('limits:');
  for (const [k, v] of Object.entries(i.limits)) console.log(`  ${k.padEnd(36)} ${v}`);
}

async function demo(): Promise<number> {
  console.log('kiln demo\n');
  await info(false);
  console.log('');
  const { runDemo } = await import('./demo.ts');
  return runDemo();
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const json = rest.includes('--json');
  switch (cmd) {
    case 'info': await info(json); return 0;
    case 'demo': return demo();
    case 'golden': {
      const given = rest.find((r) => !r.startsWith('--'));
      const { runGoldenCli } = await import('../golden/runner.ts');
      const { defaultGoldenDir } = await import('../golden/location.ts');
      const dir = given ?? defaultGoldenDir();
      if (!given && !json) console.log(`golden vectors: ${dir}`);
      return runGoldenCli(dir, { json });
    }
    case 'summary': {
      const { summaryCli } = await import('../models/cli.ts');
      return summaryCli(rest);
    }
    case 'classify': {
      const { classifyCli } = await import('./classify.ts');
      return classifyCli(rest);
    }
    case 'fst': {
      const { fstCli } = await import('./fst.ts');
      return fstCli(rest);
    }
    case 'keyboard': {
      const { keyboardCli } = await import('./keyboard.ts');
      return keyboardCli(rest);
    }
    case 'parse': {
      const { parseCli } = await import('./parse.ts');
      return parseCli(rest);
    }
    case 'codec': {
      const { codecCli } = await import('./codec.ts');
      return codecCli(rest);
    }
    case 'reply': {
      const { replyCli } = await import('./reply.ts');
      return replyCli(rest);
    }
    case 'topics': {
      const { topicsCli } = await import('./topics.ts');
      return topicsCli(rest);
    }
    case undefined: case 'help': case '--help': case '-h':
      console.log(USAGE); return cmd === undefined ? 2 : 0;
    default:
      console.error(`kiln: unknown command '${cmd}'\n\n${USAGE}`); return 2;
  }
}

const isMain = typeof process !== 'undefined' && process.argv[1] && /(cli|main)\.(ts|js)$/.test(process.argv[1]);
if (isMain) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
