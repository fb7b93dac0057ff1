/** This machine's platform as DuckDB's binding packages name it: `linux-x64`, `linux-x64-musl` on musl, `darwin-arm64`. */
export function duckDbHostPlatform(): string {
  const report = process.report.getReport() as { header: { glibcVersionRuntime?: string } };
  const musl = process.platform === 'linux' && report.header.glibcVersionRuntime === undefined;
  return `${process.platform}-${process.arch}${musl ? '-musl' : ''}`;
}
