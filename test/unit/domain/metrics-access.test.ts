import { describe, expect, it } from "vitest";
import { metricsAccess } from "@/server/domain/metrics-access";

const refused = (status: number, code: string): unknown => expect.objectContaining({ serve: false, status, code });

describe("metricsAccess", () => {
  it("serves everything, the lease holder included, to the token", () => {
    for (const production of [true, false]) {
      for (const isPublic of [true, false]) {
        expect(metricsAccess({ production, tokenConfigured: true, public: isPublic, presented: "valid" })).toEqual({
          serve: true,
          showLeaseHolder: true,
        });
      }
    }
  });

  it("refuses a production scrape without a token unless the metrics are public", () => {
    expect(metricsAccess({ production: true, tokenConfigured: false, public: false, presented: "none" })).toEqual(
      refused(503, "NOT_CONFIGURED"),
    );
    expect(metricsAccess({ production: true, tokenConfigured: true, public: false, presented: "none" })).toEqual(
      refused(401, "UNAUTHORIZED"),
    );
    expect(metricsAccess({ production: true, tokenConfigured: false, public: true, presented: "none" })).toEqual({
      serve: true,
      showLeaseHolder: false,
    });
  });

  it("refuses a wrong token, even where the metrics are public", () => {
    expect(metricsAccess({ production: true, tokenConfigured: true, public: true, presented: "wrong" })).toEqual(
      refused(401, "UNAUTHORIZED"),
    );
  });

  it("never shows the lease holder without the token", () => {
    for (const production of [true, false]) {
      for (const tokenConfigured of [true, false]) {
        for (const isPublic of [true, false]) {
          for (const presented of ["none", "wrong"] as const) {
            const access = metricsAccess({ production, tokenConfigured, public: isPublic, presented });
            if (access.serve) expect(access.showLeaseHolder).toBe(false);
          }
        }
      }
    }
  });

  it("serves a development server without a token, holder hidden", () => {
    expect(metricsAccess({ production: false, tokenConfigured: false, public: false, presented: "none" })).toEqual({
      serve: true,
      showLeaseHolder: false,
    });
  });
});
