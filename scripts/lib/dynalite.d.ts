// dynalite 4 ships no types; this is the part of its API the repo uses.
declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    /** Milliseconds a CreateTable stays CREATING; 0 makes it ACTIVE at once. */
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    /** A directory for LevelDB files; in memory when left out. */
    path?: string;
  }
  export default function dynalite(options?: DynaliteOptions): Server;
}
