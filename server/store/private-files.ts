import { chmod, mkdir, open, rm, stat } from 'node:fs/promises';

/*
 * The data folder holds what no other local user may read: the database (API key hashes, request logs,
 * dashboard sessions), the master key, the demo CA keys and the first-start secrets. Modes are given at
 * creation (an `open`/`mkdir` mode, which a umask can only narrow), never left to the umask: under the common
 * umask 022 a default-mode file is world-readable. What exists already too open is tightened, with a warning,
 * when it is ours to change; a shared folder (sticky bit, such as /tmp) or another user's file is only warned
 * about.
 */

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** SQLite's companions of a database file in WAL mode. */
const SQLITE_COMPANIONS = ['-wal', '-shm'] as const;

function warn(message: string): void {
  process.emitWarning(message, { code: 'SHAKENSTACK_FILE_MODE' });
}

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** Tightens `path` to `mode` when group or others have any access; warns when that is not ours to do. */
async function tighten(path: string, mode: number): Promise<void> {
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if ((st.mode & 0o077) === 0) return;
  const ours = process.getuid === undefined || st.uid === process.getuid();
  if (!ours || (st.isDirectory() && (st.mode & 0o1000) !== 0)) {
    warn(`${path} is mode ${octal(st.mode)}, open to other users, and not ours to tighten: use a private folder (mode ${octal(mode)})`);
    return;
  }
  try {
    await chmod(path, mode);
    warn(`${path} was mode ${octal(st.mode)}, open to other users; tightened to ${octal(mode)}`);
  } catch (e) {
    warn(`${path} is mode ${octal(st.mode)}, open to other users, and could not be tightened (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** Creates `dir` (and missing parents) 0700, or tightens it when it exists open to others. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  const created = await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (created === undefined) await tighten(dir, PRIVATE_DIR_MODE);
}

/** Creates an empty `file` 0600 when it is missing, or tightens it when it exists open to others. */
export async function ensurePrivateFile(file: string): Promise<void> {
  try {
    await (await open(file, 'wx', PRIVATE_FILE_MODE)).close();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    await tighten(file, PRIVATE_FILE_MODE);
  }
}

/**
 * Prepares the embedded database before SQLite opens it: the folder 0700, the file created 0600 (an empty
 * file is a valid empty database), and any existing -wal/-shm tightened. SQLite creates -wal and -shm
 * with the database file's own mode (os_unix.c `findCreateFileMode`, and `robust_open` re-applies it past
 * the umask), so they follow the file.
 */
export async function preparePrivateDatabase(dataDir: string, dbFile: string): Promise<void> {
  await ensurePrivateDir(dataDir);
  await ensurePrivateFile(dbFile);
  for (const suffix of SQLITE_COMPANIONS) await tighten(dbFile + suffix, PRIVATE_FILE_MODE);
}

/**
 * Writes `data` to a new file 0600, replacing any file of that name (removed first, so an old file's looser
 * mode or another owner is never inherited, and the content never sits in a readable file).
 */
export async function writePrivateFile(file: string, data: string): Promise<void> {
  await rm(file, { force: true });
  const handle = await open(file, 'wx', PRIVATE_FILE_MODE);
  try {
    await handle.writeFile(data);
  } finally {
    await handle.close();
  }
}
