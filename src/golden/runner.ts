// placeholder replaced by the golden runner
export async function runGoldenCli(dir: string, opts: { json: boolean }): Promise<number> {
  console.error(`kiln golden: not implemented yet (${dir}, ${JSON.stringify(opts)})`);
  return 1;
}
