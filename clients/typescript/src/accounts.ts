// Frontend calls on /api/accounts: they must keep compiling against the generated client.
import type { ApiClient, Schemas } from "./client";
import { errorCode } from "./client";

export async function listActiveAccounts(
  client: ApiClient,
  search: string,
  cursor: string | null,
): Promise<{ accounts: Schemas["AccountOut"][]; next: string | null }> {
  const { data, error } = await client.GET("/api/accounts", {
    params: { query: { limit: 20, status: "active", search, cursor } },
  });
  if (error) {
    throw new Error(`listing accounts failed: ${errorCode(error)}`);
  }
  const followers: number = data.items.reduce((sum, account) => sum + account.follower_count, 0);
  console.log(`${data.total} accounts, ${followers} followers on this page`);
  return { accounts: data.items, next: data.has_more ? data.next_cursor : null };
}

export async function syncAccount(client: ApiClient, accountId: string): Promise<string> {
  const { data, error, response } = await client.POST("/api/accounts/{account_id}/sync", {
    params: { path: { account_id: accountId } },
  });
  if (error) {
    // The code is what a frontend branches on; the detail is for people.
    switch (errorCode(error)) {
      case "TIKTOK_REAUTH_REQUIRED":
        return "reconnect the account";
      case "ACCOUNT_NOT_FOUND":
        return "gone";
      default:
        return `failed (${response.status}): ${error.detail}`;
    }
  }
  const status: Schemas["AccountStatus"] = data.status;
  return `${data.username} is ${status}, synced at ${data.last_synced_at ?? "never"}`;
}

export async function accountsSummary(client: ApiClient): Promise<Schemas["SummaryOut"]> {
  const { data, error } = await client.GET("/api/accounts/stats/summary");
  if (error) {
    throw new Error(errorCode(error));
  }
  const { total_accounts, active_accounts, total_followers } = data;
  console.log(`${active_accounts}/${total_accounts} active, ${total_followers} followers`);
  return data;
}

// What the schema must keep refusing: each line below stops compiling (and fails the check)
// if the document loosens what it declares.
export function refusedByTheSchema(client: ApiClient): void {
  // @ts-expect-error: the status filter is an enum, not any string
  void client.GET("/api/accounts", { params: { query: { status: "deleted" } } });
  // @ts-expect-error: there is no `page` filter (cursor pagination)
  void client.GET("/api/accounts", { params: { query: { page: 2 } } });
  // @ts-expect-error: syncing needs the account's id
  void client.POST("/api/accounts/{account_id}/sync", {});
}
