// The SQLite driver adapter with transactions that are really isolated inside one process.
//
// better-sqlite3 has one connection per client. Prisma's adapter serializes transactions with a mutex
// but lets plain queries through while a transaction is open, so a write from another request would
// run inside that transaction — and vanish if it rolls back. This wrapper makes every query outside a
// transaction wait for the open one to finish, as a second connection would.
import "server-only";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import type { SqlDriverAdapter, SqlDriverAdapterFactory, Transaction } from "@prisma/driver-adapter-utils";

class Lock {
  #tail: Promise<void> = Promise.resolve();

  /** Resolves when the lock is ours, with the function that releases it (safe to call twice). */
  acquire(): Promise<() => void> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((resolve) => (release = resolve));
    return previous.then(() => release);
  }
}

function releasingOnEnd(transaction: Transaction, release: () => void): Transaction {
  return new Proxy(transaction, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      const method = (value as (...args: unknown[]) => unknown).bind(target);
      if (property !== "commit" && property !== "rollback") return method;
      return async (...args: unknown[]) => {
        try {
          return await method(...args);
        } finally {
          release();
        }
      };
    },
  });
}

function exclusive(adapter: SqlDriverAdapter): SqlDriverAdapter {
  const lock = new Lock();
  const queued =
    <Args extends unknown[], Result>(run: (...args: Args) => Promise<Result>) =>
    async (...args: Args): Promise<Result> => {
      const release = await lock.acquire();
      try {
        return await run(...args);
      } finally {
        release();
      }
    };
  return new Proxy(adapter, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      const method = (value as (...args: unknown[]) => Promise<unknown>).bind(target);
      if (property === "queryRaw" || property === "executeRaw" || property === "executeScript") return queued(method);
      if (property !== "startTransaction") return method;
      return async (...args: unknown[]) => {
        const release = await lock.acquire();
        try {
          return releasingOnEnd((await method(...args)) as Transaction, release);
        } catch (error) {
          release();
          throw error;
        }
      };
    },
  });
}

export function sqliteAdapter(file: string): SqlDriverAdapterFactory {
  // A busy timeout lets other processes' writers (a CLI, a second server) queue instead of failing.
  const factory = new PrismaBetterSQLite3({ url: file, timeout: 10_000 });
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => exclusive(await factory.connect()),
  };
}
