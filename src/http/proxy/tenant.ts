/**
 * Who pays for an answer: the caller's upstream credential, as a keyed hash, so entries are
 * isolated per credential without any credential reaching a key, a log or Redis in plain form.
 * A revoked or bogus key therefore never hits: it reaches the upstream and gets its 401.
 */

/** Headers that name the paying account: the credential, and OpenAI's organization and project. */
const CREDENTIAL_HEADERS = ["authorization", "x-api-key", "api-key", "openai-organization", "openai-project"];

/** Credentials remembered (hash by value): enough for every key of a pod, bounded against floods. */
const MEMO_LIMIT = 1024;

export class TenantKeys {
  private readonly memo = new Map<string, string>();

  /**
   * @param secret HMAC key; the same on every sidecar that shares a Redis, or entries are not shared.
   * @param shared every credential shares entries (PROXY_SHARE_ACROSS_CREDENTIALS).
   */
  constructor(
    private readonly secret: string,
    private readonly shared: boolean,
  ) {}

  /**
   * The tenant of a request: undefined when credentials share entries, "anonymous" when it
   * carries none (a local model server), else 128 bits of HMAC-SHA-256 in hex. O(headers);
   * the HMAC (about a microsecond) only for a credential not seen recently.
   */
  of(headers: Headers): string | undefined {
    if (this.shared) return undefined;
    let material = "";
    for (const name of CREDENTIAL_HEADERS) {
      const value = headers.get(name);
      if (value !== null) material += `${name}:${value}\n`;
    }
    if (material === "") return "anonymous";
    let tenant = this.memo.get(material);
    if (tenant === undefined) {
      tenant = new Bun.CryptoHasher("sha256", this.secret).update(material).digest("hex").slice(0, 32);
      if (this.memo.size >= MEMO_LIMIT) this.memo.clear();
      this.memo.set(material, tenant);
    }
    return tenant;
  }
}
