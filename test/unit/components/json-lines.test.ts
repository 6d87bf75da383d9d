import { describe, expect, it } from "vitest";
import { formatPath, jsonLines } from "@/components/snapshots/json-lines";
import { diffConfigs } from "@/server/domain/snapshots";

const before = {
  model: "gpt-4o",
  providers: [
    { name: "openai", weight: 80 },
    { name: "azure", weight: 20 },
  ],
  timeoutMs: 30_000,
};
const after = { model: "gpt-4o", providers: [{ name: "openai", weight: 100 }], streaming: true, timeoutMs: 30_000 };

const symbol = { added: "+", removed: "-", changed: "~" } as const;
const render = (lines: ReturnType<typeof jsonLines>) =>
  lines.map((line) => `${line.mark ? symbol[line.mark] : " "} ${"  ".repeat(line.indent)}${line.text}`);

describe("jsonLines", () => {
  it("marks removed and changed values on the A side, added and changed ones on the B side, whole subtrees included", () => {
    const changes = diffConfigs(before, after);
    expect(render(jsonLines(before, changes, "from"))).toEqual([
      "  {",
      '    "model": "gpt-4o",',
      '    "providers": [',
      "      {",
      '        "name": "openai",',
      '~       "weight": 80',
      "      },",
      "-     {",
      '-       "name": "azure",',
      '-       "weight": 20',
      "-     }",
      "    ],",
      '    "timeoutMs": 30000',
      "  }",
    ]);
    expect(render(jsonLines(after, changes, "to"))).toContain('+   "streaming": true,');
    expect(render(jsonLines(after, changes, "to"))).toContain('~       "weight": 100');
  });

  it("names paths as a reader writes them", () => {
    expect(formatPath(["providers", 1, "weight"])).toBe("providers[1].weight");
    expect(formatPath([])).toBe("(whole config)");
  });
});
