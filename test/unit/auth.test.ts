import { describe, expect, test } from "bun:test";
import { allows, FULL_ACCESS, namespaceFor } from "../../src/http/auth/principal.ts";
import { ApiKeyVerifier, presentedKey } from "../../src/http/auth/verifier.ts";

describe("API key verification", () => {
  const verifier = new ApiKeyVerifier(["primary", "second"]);

  test("required mode: missing and wrong keys are refused", () => {
    expect(verifier.check(null, true)).toBe("missing");
    expect(verifier.check("wrong", true)).toBe("invalid");
    expect(verifier.check("primary", true)).toBe("allowed");
    expect(verifier.check("second", true)).toBe("allowed");
  });

  test("optional mode: a missing key is allowed, a wrong key never", () => {
    expect(verifier.check(null, false)).toBe("allowed");
    expect(verifier.check("wrong", false)).toBe("invalid");
    expect(verifier.check("primar", false)).toBe("invalid");
    expect(verifier.check("primary ", false)).toBe("invalid");
  });

  test("with no key configured every request is allowed", () => {
    const open = new ApiKeyVerifier([]);
    expect(open.open).toBe(true);
    expect(open.check(null, true)).toBe("allowed");
    expect(open.check("anything", true)).toBe("allowed");
  });

  test("keys come from Bearer first, then X-API-Key", () => {
    expect(presentedKey(new Headers({ authorization: "Bearer abc" }))).toBe("abc");
    expect(presentedKey(new Headers({ authorization: "bearer   abc  " }))).toBe("abc");
    expect(presentedKey(new Headers({ "x-api-key": "xyz" }))).toBe("xyz");
    expect(presentedKey(new Headers({ authorization: "Bearer abc", "x-api-key": "xyz" }))).toBe("abc");
    expect(presentedKey(new Headers({ authorization: "Basic abc", "x-api-key": "xyz" }))).toBe("xyz");
    expect(presentedKey(new Headers({ authorization: "Basic abc" }))).toBeNull();
    expect(presentedKey(new Headers())).toBeNull();
  });

  test("scoped keys are identified with their scopes and namespace; a key also listed as full keeps full access", () => {
    const scoped = new ApiKeyVerifier(["full"], [
      { key: "reader", scopes: ["read"], namespace: null },
      { key: "tenant", scopes: ["data", "invalidate"], namespace: "tenant-a" },
      { key: "full", scopes: ["read"], namespace: "tenant-b" },
    ]);
    expect(scoped.open).toBe(false);
    expect(scoped.identify("full")).toBe(FULL_ACCESS);
    expect(scoped.identify("nobody")).toBeNull();
    const reader = scoped.identify("reader")!;
    expect([allows(reader, "read"), allows(reader, "data"), allows(reader, "invalidate")]).toEqual([true, false, false]);
    const tenant = scoped.identify("tenant")!;
    expect([allows(tenant, "read"), allows(tenant, "data"), allows(tenant, "invalidate")]).toEqual([false, true, true]);
    expect(tenant.namespace).toBe("tenant-a");
    expect(scoped.check("tenant", true)).toBe("allowed");
    // A bound key lands in its namespace and may not name another; an unbound one goes where it names.
    expect(namespaceFor(tenant, undefined)).toBe("tenant-a");
    expect(namespaceFor(tenant, "tenant-a")).toBe("tenant-a");
    expect(() => namespaceFor(tenant, "tenant-b")).toThrow(/bound to namespace 'tenant-a'/);
    expect(namespaceFor(reader, "x")).toBe("x");
    expect(namespaceFor(null, undefined)).toBeUndefined();
  });
});
