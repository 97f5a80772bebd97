import { withCompileCache } from './compile-cache.ts';

/**
 * The V8 flags every engine process runs with (the CLI's `bin/tenant-mirror` shebang, the `serve` child,
 * the desktop app's utilityProcess, the bench's engine child).
 *
 * `--max-semi-space-size=4` (MB): what holds the engine's memory is V8's young generation, not fetches or
 * batches — the heap in use is ~45–120 MB while V8 reserves 165–220 MB at default flags. Capping the
 * semi-space took ~110–130 MB off the peak RSS of a 200k-record snapshot (docs/benchmarks.md, "Memory: what holds
 * it"). It is a start-up flag: `v8.setFlagsFromString` at run time had no effect.
 *
 * `--disable-warning=TimeoutNegativeWarning`: kafkajs's negative timeouts (no-timeout-negative-warning.ts,
 * which every entry imports first) once still printed the warning after a provision's last line
 * (2026-12-06, a fresh replica of a purged topic; not seen again in the same run repeated): the flag drops
 * it in every thread of the process, whatever imports first.
 */
export const ENGINE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4', '--disable-warning=TimeoutNegativeWarning'];

/**
 * Environment every engine process starts with. `MALLOC_ARENA_MAX=2`: glibc gives each thread that
 * allocates (V8's GC and compiler helpers, libuv's pool) an arena of its own that keeps freed memory;
 * two arenas took ~20 MB off the peak RSS of a 200k-record snapshot into SQLite (memory probe: 231 / 237 MB
 * vs 256 MB, same throughput). Ignored where the C library is not glibc.
 */
export const ENGINE_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };

/** `env` for a forked engine process: ENGINE_ENV (unless set already) and the compile cache. */
export function engineProcessEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...ENGINE_ENV, ...withCompileCache(env) };
}
