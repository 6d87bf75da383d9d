// PrismaPg with one repair: a transaction whose COMMIT (or ROLLBACK) query fails still returns its connection to
// the pool. Prisma 6.19's transaction manager sends COMMIT through the transaction's executeRaw and only then
// calls its commit(), which is where adapter-pg releases the pooled connection; when the COMMIT query itself
// fails — PostgreSQL reports a Serializable transaction's serialization failure (40001) at COMMIT — commit() is
// never called and the connection stays checked out for good. Ingestion and user changes run Serializable with
// retries, so a busy instance lost a connection per conflict until its pool was empty and every query waited.
import "server-only";
import { PrismaPg } from "@prisma/adapter-pg";

type Adapter = Awaited<ReturnType<PrismaPg["connect"]>>;
type Transaction = Awaited<ReturnType<Adapter["startTransaction"]>>;

const ENDS_TRANSACTION = /^\s*(COMMIT|ROLLBACK)\b/i;

export function postgresAdapter(...args: ConstructorParameters<typeof PrismaPg>): PrismaPg {
  const factory = new PrismaPg(...args);
  const connect = factory.connect.bind(factory);
  factory.connect = async () => releasingAfterFailedEnd(await connect());
  return factory;
}

/** Wraps each transaction the adapter starts. Exported for the unit test, which drives it with a stand-in. */
export function releasingAfterFailedEnd<A extends Pick<Adapter, "startTransaction">>(adapter: A): A {
  const startTransaction = adapter.startTransaction.bind(adapter);
  adapter.startTransaction = async (isolationLevel) => releaseOnFailedEnd(await startTransaction(isolationLevel));
  return adapter;
}

function releaseOnFailedEnd(transaction: Transaction): Transaction {
  const executeRaw = transaction.executeRaw.bind(transaction);
  transaction.executeRaw = async (query) => {
    try {
      return await executeRaw(query);
    } catch (error) {
      // The server has ended the transaction either way (a failed COMMIT rolls back). rollback() sends nothing:
      // it releases the connection, and the pool drops it if it is broken.
      if (ENDS_TRANSACTION.test(query.sql)) await transaction.rollback().catch(() => undefined);
      throw error;
    }
  };
  return transaction;
}
