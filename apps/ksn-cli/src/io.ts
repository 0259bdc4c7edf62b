/** What a command may touch of the outside world, so tests run the CLI in-process. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
  env: Record<string, string | undefined>;
  cwd: string;
  home: string;
  now(): number;
}
