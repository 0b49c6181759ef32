// `kiln fst OP [FLAGS] A.txt [B.txt]`: OpenFst-compatible command line over src/fst.
export async function fstCli(_argv: string[]): Promise<number> {
  console.error('kiln fst: not implemented yet');
  return 2;
}
