import { describe, expect, test } from "bun:test";
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
});
