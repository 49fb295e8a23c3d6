// Global test setup: filled in as the oracle lands.
export default async function setup(): Promise<void> {}
