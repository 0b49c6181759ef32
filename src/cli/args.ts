// Flag parsing and stdin shared by the family commands (kiln keyboard | topics | parse): every
// error names the command and the flag.

/** The value after `name`, undefined when the flag is absent; a flag without a value is an error. */
export function flag(command: string, args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`kiln ${command}: ${name} needs a value`);
  return v;
}

/** A positive integer flag (`def` when absent). */
export function intFlag(command: string, args: string[], name: string, def: number): number;
export function intFlag(command: string, args: string[], name: string, def?: number): number | undefined;
export function intFlag(command: string, args: string[], name: string, def?: number): number | undefined {
  const v = flag(command, args, name);
  if (v === undefined) return def;
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`kiln ${command}: ${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

/** A number flag (`def` when absent): > 0, or >= 0 with `allowZero`. */
export function numFlag(command: string, args: string[], name: string, def: number, allowZero?: boolean): number;
export function numFlag(command: string, args: string[], name: string, def?: number, allowZero?: boolean): number | undefined;
export function numFlag(command: string, args: string[], name: string, def?: number, allowZero = false): number | undefined {
  const v = flag(command, args, name);
  if (v === undefined) return def;
  const n = Number(v);
  if (!(Number.isFinite(n) && (allowZero ? n >= 0 : n > 0))) throw new Error(`kiln ${command}: ${name} must be ${allowZero ? 'a number >= 0' : 'a positive number'}, got ${JSON.stringify(v)}`);
  return n;
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
