// Frontend calls on /api/webhook-endpoints and /api/webhook-deliveries (an admin's screen, or a
// server with a `write` key): register an endpoint and keep its secret, list and change them,
// rotate the secret, send a test ping, read the delivery log by status, redeliver one.
import type { ApiClient, Schemas } from "./client";
import { errorCode } from "./client";

export async function registerEndpoint(
  client: ApiClient,
  url: string,
): Promise<{ secret: string; endpoint: Schemas["EndpointOut"] }> {
  const events: Schemas["Subscription"][] = ["post.published", "account.status_changed"];
  const { data, error } = await client.POST("/api/webhook-endpoints", {
    body: { url, events, description: "CRM" },
  });
  if (error) {
    switch (errorCode(error)) {
      case "VALIDATION_ERROR":
        throw new Error(`that URL is not allowed: ${error.detail}`);
      case "INSUFFICIENT_ROLE":
        throw new Error("only the workspace's admins register endpoints");
      case "INSUFFICIENT_SCOPE":
        throw new Error("the key needs the write scope");
      default:
        throw new Error(`registering failed: ${error.detail}`);
    }
  }
  // `secret` (whsec_...) is in this answer only: store it where the receiver verifies.
  const { secret, ...endpoint } = data;
  return { secret, endpoint };
}

export async function listEndpoints(client: ApiClient): Promise<Schemas["EndpointOut"][]> {
  const { data, error } = await client.GET("/api/webhook-endpoints");
  if (error) {
    throw new Error(errorCode(error));
  }
  for (const endpoint of data.items) {
    const state = endpoint.is_active ? "on" : `off (${endpoint.disabled_reason ?? "paused"})`;
    console.log(`${endpoint.url} [${endpoint.events.join(", ")}] ${state}`);
  }
  return data.items;
}

/** Re-activates an endpoint the service disabled after failing deliveries, on a new URL. */
export async function reactivate(
  client: ApiClient,
  endpointId: string,
  url: string,
): Promise<Schemas["EndpointOut"] | null> {
  const { data, error } = await client.PATCH("/api/webhook-endpoints/{endpoint_id}", {
    params: { path: { endpoint_id: endpointId } },
    body: { url, is_active: true },
  });
  if (error) {
    if (errorCode(error) === "WEBHOOK_ENDPOINT_NOT_FOUND") {
      return null;
    }
    throw new Error(error.detail);
  }
  const reason: string | null = data.disabled_reason; // null again once re-activated
  console.log(`${data.id} active=${data.is_active} reason=${reason ?? "none"}`);
  return data;
}

export async function rotateSecret(client: ApiClient, endpointId: string): Promise<string> {
  const { data, error } = await client.POST("/api/webhook-endpoints/{endpoint_id}/rotate-secret", {
    params: { path: { endpoint_id: endpointId } },
  });
  if (error) {
    throw new Error(errorCode(error));
  }
  // Until the overlap ends, deliveries carry a signature by this secret and one by the old.
  return data.secret;
}

export async function sendTestPing(
  client: ApiClient,
  endpointId: string,
): Promise<Schemas["DeliveryOut"]> {
  const { data, error } = await client.POST("/api/webhook-endpoints/{endpoint_id}/test", {
    params: { path: { endpoint_id: endpointId } },
  });
  if (error) {
    throw new Error(errorCode(error));
  }
  const status: Schemas["DeliveryStatus"] = data.status; // "pending": the workers send it
  console.log(`ping ${data.event_id} (${data.event_type}) ${status}`);
  return data;
}

export async function failedDeliveries(
  client: ApiClient,
  endpointId: string,
  cursor: string | null,
): Promise<{ items: Schemas["DeliveryOut"][]; next: string | null }> {
  const { data, error } = await client.GET("/api/webhook-endpoints/{endpoint_id}/deliveries", {
    params: { path: { endpoint_id: endpointId }, query: { status: "failed", limit: 50, cursor } },
  });
  if (error) {
    throw new Error(`reading the delivery log failed: ${errorCode(error)}`);
  }
  for (const delivery of data.items) {
    const answer = delivery.last_status_code ?? delivery.last_error ?? "no answer";
    console.log(`${delivery.event_type} ${delivery.attempts} attempts, last: ${answer}`);
  }
  return { items: data.items, next: data.has_more ? data.next_cursor : null };
}

export async function redeliver(client: ApiClient, deliveryId: string): Promise<string | null> {
  const { data, error } = await client.POST("/api/webhook-deliveries/{delivery_id}/redeliver", {
    params: { path: { delivery_id: deliveryId } },
  });
  if (error) {
    if (errorCode(error) === "DELIVERY_NOT_FOUND") {
      return null;
    }
    throw new Error(error.detail);
  }
  // A new delivery of the same event: the receiver sees the same webhook-id again.
  return data.event_id;
}

// What the schema must keep refusing: each line stops compiling if the document loosens it.
export function refusedByTheWebhookSchema(client: ApiClient): void {
  // A field with a default (description) may be left out: the client need not send it.
  void client.POST("/api/webhook-endpoints", { body: { url: "https://x.test/h", events: ["*"] } });
  // Each refused body is otherwise complete, so it fails for one reason.
  // @ts-expect-error: events are the enumerated event types (or "*"), not any string
  void client.POST("/api/webhook-endpoints", { body: { url: "https://x.test/h", events: ["post.deleted"] } });
  // @ts-expect-error: an endpoint needs its url
  void client.POST("/api/webhook-endpoints", { body: { events: ["*"] } });
  // @ts-expect-error: events is a list
  void client.POST("/api/webhook-endpoints", { body: { url: "https://x.test/h", events: "*" } });
  void client.GET("/api/webhook-endpoints/{endpoint_id}/deliveries", {
    // @ts-expect-error: the status filter is pending, succeeded or failed
    params: { path: { endpoint_id: "e" }, query: { status: "retrying" } },
  });
  // @ts-expect-error: the secret is never read back: the endpoint's detail has none
  const leaked = (e: Schemas["EndpointOut"]): string => e.secret;
  void leaked;
}
