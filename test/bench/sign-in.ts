// Sign-in time for a wrong password, an unknown email and a disabled account: the figures behind "equal time
// for unknown and known emails" (one scrypt hash of the same parameters each). Printed, never asserted.
import { authenticate } from "@/server/services/access/sign-in";
import { createUser } from "@/server/services/access/users";
import { systemActor } from "@/server/services/audit/audit-log";
import { freshDatabases } from "./databases";
import { percentile, type Figure } from "./lib";

const RUNS = 21;

export async function signInTiming(): Promise<Figure[]> {
  const figures: Figure[] = [];
  const [database] = await freshDatabases();
  if (!database) return figures;
  const { db } = database;
  try {
    const make = async (email: string, disabled = false) => {
      const user = await createUser(
        db,
        { actor: systemActor, email, name: "Bench", role: "VIEWER", password: "correct horse battery staple" },
        new Date(),
      );
      if (disabled) await db.user.update({ where: { id: user.id }, data: { disabled: true } });
      return email;
    };
    // Fresh accounts for every run, so no attempt is ever throttled (before throttling had clients, too);
    // the cases interleave, so that load on the shared machine falls on each alike.
    const samples: Record<string, number[]> = { "wrong password": [], "unknown email": [], "disabled account": [] };
    for (let run = 0; run < RUNS; run++) {
      const cases: [string, string][] = [
        ["wrong password", await make(`known-${run}@bench.test`)],
        ["unknown email", `nobody-${run}@bench.test`],
        ["disabled account", await make(`disabled-${run}@bench.test`, true)],
      ];
      for (const [i, [name, email]] of cases.entries()) {
        // A client of its own too: one client's failures across accounts are limited as well.
        const client = `10.0.${run}.${i + 1}`;
        const start = performance.now();
        await authenticate(db, { email, password: "a wrong password" }, { client, now: new Date() }).catch(
          () => undefined,
        );
        samples[name]?.push(performance.now() - start);
      }
    }
    for (const [name, values] of Object.entries(samples)) {
      const sorted = values.sort((a, b) => a - b);
      figures.push({
        benchmark: "sign-in-timing",
        metric: `${name}, median`,
        value: percentile(sorted, 0.5),
        unit: "ms",
        note: `${RUNS} attempts, SQLite, p90 ${percentile(sorted, 0.9).toFixed(1)} ms`,
      });
    }
  } finally {
    await database.drop();
  }
  return figures;
}
