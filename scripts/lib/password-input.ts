// Passwords for the user CLIs: from stdin when asked, prompted on a terminal, else null (generate one).
import { createInterface } from "node:readline/promises";

export async function readPassword(fromStdin: boolean): Promise<string | null> {
  if (fromStdin) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8").trim();
  }
  if (!process.stdin.isTTY) return null;
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  const answer = await prompt.question("Password (12+ characters, empty to generate one): ");
  prompt.close();
  return answer.trim() || null;
}
