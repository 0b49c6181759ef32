// `kiln classify IMAGE --model nsfwjs`: top-k classes of an image with a pretrained network.
export async function classifyCli(_argv: string[]): Promise<number> {
  console.error('kiln classify: not implemented yet');
  return 2;
}
