/** Defaults documented in docs/http-api.md; `shield serve` has a flag for each. */
export const defaultRequestTimeoutMs = 10_000;
