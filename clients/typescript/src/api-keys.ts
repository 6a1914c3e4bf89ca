// Frontend calls on /api/api-keys (with a login, never with a key): create one and show its
// secret once, list them, revoke one; then a script's client that calls the API with the key.
import type { ApiClient, Schemas } from "./client";
import { apiClient, errorCode } from "./client";

export async function createReadKey(
  client: ApiClient,
  workspaceId: string | null,
): Promise<{ key: string; shown: Schemas["ApiKeyOut"] }> {
  const { data, error } = await client.POST("/api/api-keys", {
    params: { header: workspaceId ? { "X-Workspace-Id": workspaceId } : {} },
    body: { name: "nightly report", scopes: ["read"], expires_at: "2027-12-31T00:00:00Z" },
  });
  if (error) {
    switch (errorCode(error)) {
      case "WORKSPACE_NOT_FOUND":
        throw new Error("you are not a member of that workspace");
      case "RATE_LIMITED":
        throw new Error("too many keys created in a minute; retry later");
      default:
        throw new Error(`creating the key failed: ${error.detail}`);
    }
  }
  // `key` is in this answer only: the list never shows it again.
  const { key, ...shown } = data;
  return { key, shown };
}

export async function listKeys(client: ApiClient): Promise<Schemas["ApiKeyOut"][]> {
  const { data, error } = await client.GET("/api/api-keys");
  if (error) {
    throw new Error(errorCode(error));
  }
  for (const item of data.items) {
    const scopes: Schemas["Scope"][] = item.scopes;
    console.log(`${item.prefix}… ${item.name} [${scopes.join(", ")}] used ${item.last_used_at ?? "never"}`);
  }
  return data.items;
}

export async function revokeKey(client: ApiClient, keyId: string): Promise<boolean> {
  const { error } = await client.DELETE("/api/api-keys/{key_id}", {
    params: { path: { key_id: keyId } },
  });
  if (error) {
    if (errorCode(error) === "API_KEY_NOT_FOUND") {
      return false; // already revoked, or not yours
    }
    throw new Error(error.detail);
  }
  return true;
}

// A script: the key goes where a login's access token would.
export async function countAccountsWithKey(baseUrl: string, key: string): Promise<number> {
  const client = apiClient(baseUrl, () => key);
  const { data, error } = await client.GET("/api/accounts", { params: { query: { limit: 1 } } });
  if (error) {
    switch (errorCode(error)) {
      case "NOT_AUTHENTICATED":
        throw new Error("the key is unknown, revoked or expired");
      case "INSUFFICIENT_SCOPE":
        throw new Error("the key has no read scope");
      default:
        throw new Error(error.detail);
    }
  }
  return data.total;
}

export function refusedByTheKeySchema(client: ApiClient): void {
  // @ts-expect-error: scopes are read, write and publish only
  void client.POST("/api/api-keys", { body: { name: "x", scopes: ["admin"] } });
}
