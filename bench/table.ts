/** The report's output: stdout, and tables of right-aligned figures. */

export const write = (text: string): void => {
  process.stdout.write(text);
};

/** A table: the first column left-aligned, the figures right-aligned, under an optional title. */
export function printTable(header: string[], rows: string[][], title?: string): void {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((row) => row[i].length)));
  const line = (row: string[]) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  write(`\n${title ? `${title}\n` : ''}${line(header)}\n`);
  write(`${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const row of rows) write(`${line(row)}\n`);
}
