// Writes a migrated PGlite data directory (tar) to argv[2]: initdb once per test run.
import { writeFileSync } from 'node:fs';
import { openPglite, pgliteOf } from '../src/store/db';
import { migrate } from '../src/store/migrations';

const out = process.argv[2];
if (!out) throw new Error('usage: make-pglite-template.ts <outfile>');
const db = await openPglite();
await migrate(db);
const dump = await pgliteOf(db)!.dumpDataDir('none');
writeFileSync(out, Buffer.from(await dump.arrayBuffer()));
await db.close();
