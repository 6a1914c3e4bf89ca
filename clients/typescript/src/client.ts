// The typed client a frontend builds from the generated schema: one instance, a bearer token
// added to every request, and the one error shape `{ detail, code }` read in one place.
import createClient, { type Middleware } from "openapi-fetch";

import type { components, paths } from "../generated/schema";

export type Schemas = components["schemas"];

export function apiClient(baseUrl: string, accessToken: () => string) {
  const bearer: Middleware = {
    onRequest({ request }) {
      request.headers.set("Authorization", `Bearer ${accessToken()}`);
      return request;
    },
  };
  const client = createClient<paths>({ baseUrl });
  client.use(bearer);
  return client;
}

export type ApiClient = ReturnType<typeof apiClient>;

/** Every error answer of the API carries a machine-readable `code` beside its `detail`. */
export function errorCode(error: { code: string; detail: string }): string {
  return error.code;
}
