// Imported by every test file: one device for the whole run.
import * as kiln from '../src/index.ts';
await kiln.ready();
