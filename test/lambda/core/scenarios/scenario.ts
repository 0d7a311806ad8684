/** A runtime-neutral test: the same list runs under vitest (Node) and Deno.test. */
export interface Scenario {
  readonly name: string;
  readonly run: () => Promise<void> | void;
}
