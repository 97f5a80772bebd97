/**
 * The V8 flags every engine process runs with (the CLI's `bin/tenant-mirror` shebang, the `serve` child,
 * the desktop app's utilityProcess, the bench's engine child).
 *
 * `--max-semi-space-size=4` (MB): what holds the engine's memory is V8's young generation, not fetches or
 * batches — the heap in use is ~45–120 MB while V8 reserves 165–220 MB at default flags. Capping the
 * semi-space took ~110–130 MB off the peak RSS of a 200k-record snapshot (README, "Memory: what holds
 * it"). It is a start-up flag: `v8.setFlagsFromString` at run time had no effect.
 */
export const ENGINE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];
