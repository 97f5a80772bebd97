/** Arguments of `tenant-mirror serve`. Pure: parsing and the binding rules, unit-tested. */
import { randomBytes } from 'node:crypto';

export interface ServeOptions {
  host: string;
  port: number;
  token: string;
  /** The token was generated (print it), not given. */
  tokenGenerated: boolean;
  config: string;
  staticDir: string | null;
  allowedOrigins: string[];
}

export const SERVE_USAGE = `usage: tenant-mirror serve [--config <file>] [--port <n>] [--static <dir>]
                          [--host <addr> --token <secret>] [--allow-origin <url>]...
  Runs the engine and serves the UI plus its API (a WebSocket) on 127.0.0.1 with a random token.
  -c, --config <file> settings JSON (secrets as { "env": "VAR" }); default ./tenant-mirror.json or $TENANT_MIRROR_CONFIG
  --port <n>          port (default 0 = a free port)
  --static <dir>      built renderer to serve (default out/renderer)
  --host <addr>       bind elsewhere than loopback: requires --token
  --token <secret>    session token (at least 16 characters); default: random
  --allow-origin <u>  also accept socket connections from this browser origin (e.g. a Vite dev server)
  -h, --help          this help`;

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
export const isLoopback = (host: string): boolean => LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);

export class UsageError extends Error {}

/** `serve -h` / `serve --help`: the usage on stdout, exit 0 (until 2026-12-07 "unknown argument --help", exit 2). */
export const wantsServeHelp = (argv: readonly string[]): boolean => argv.some((a) => a === '--help' || a === '-h');

/** `defaults.config`: the config file when none is given (the CLI's other commands read $TENANT_MIRROR_CONFIG too). */
export function parseServeArgs(argv: readonly string[], defaults: { staticDir: string | null; config?: string | undefined }): ServeOptions {
  const opts: ServeOptions = {
    host: '127.0.0.1', port: 0, token: '', tokenGenerated: false, config: defaults.config ?? 'tenant-mirror.json',
    staticDir: defaults.staticDir, allowedOrigins: [],
  };
  let hostGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--host': opts.host = value(); hostGiven = true; break;
      case '--port': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError('--port must be 0..65535');
        opts.port = n;
        break;
      }
      case '--token': opts.token = value(); break;
      case '-c': case '--config': opts.config = value(); break;
      case '--static': opts.staticDir = value(); break;
      case '--allow-origin': opts.allowedOrigins.push(new URL(value()).origin); break;
      default: throw new UsageError(`unknown argument ${arg}`);
    }
  }
  if (opts.token && opts.token.length < 16) throw new UsageError('--token must be at least 16 characters');
  if (!isLoopback(opts.host)) {
    if (!hostGiven) throw new UsageError('internal: non-loopback default host');
    if (!opts.token) throw new UsageError(`binding to ${opts.host} (not loopback) requires --token <secret>`);
  }
  if (!opts.token) {
    opts.token = randomBytes(24).toString('base64url');
    opts.tokenGenerated = true;
  }
  return opts;
}
